import { EventEnvelope, newEvent, Subjects } from '@im/contracts';
import { createDb, migrateToLatest } from '@im/db';
import { createTestEnv, eventually, TestEnv } from '@im/testing';
import { Kysely, sql } from 'kysely';
import { Client } from 'pg';
import { appendToStream } from './append';
import { eventStoreMigrations } from './migrations';
import { connectNats, ensureEventStream, Nats } from './nats';
import { OutboxRelay } from './relay';

/**
 * The relay publishes in commit order and waits for nobody: a transaction left open elsewhere
 * (another database of the cluster, another service's schema, or one that appended and has not
 * committed) holds back no committed event, and the open one is published after its commit.
 */
describe('relay commit order', () => {
  let env: TestEnv;
  let db: Kysely<any>;
  let nats: Nats;
  let subjects: Subjects;
  let relay: OutboxRelay;
  const schema = 'messaging';
  const channel = 'messaging_events';
  const stream = () => subjects.stream('messaging');
  const user = (n: number) => newEvent('user.upserted', { userId: `u${n}`, name: `User ${n}`, portrait: null });
  /** The lag target of the performance issue at the maximum rate; here the relay is idle. */
  const PROMPT_MS = 1_000;

  beforeAll(async () => {
    env = await createTestEnv();
    db = createDb({ url: env.databaseUrl, schema });
    await migrateToLatest(db, schema, eventStoreMigrations(schema, channel));
    nats = await connectNats(env.natsUrl, 'commit-order-test');
    subjects = new Subjects(env.prefix);
    await ensureEventStream(nats.jsm, subjects, 'messaging');
    // A long poll: only the commit notifications can make the relay prompt.
    relay = new OutboxRelay({ databaseUrl: env.databaseUrl, schema, service: 'messaging', js: nats.js, jsm: nats.jsm, subjects, notifyChannel: channel, pollMs: 30_000 });
    await relay.start();
  });

  afterAll(async () => {
    await relay?.stop();
    await nats?.nc.close();
    await db?.destroy();
    await env?.dispose();
  });

  const subjectsInStream = async (): Promise<string[]> => {
    const { state } = await nats.jsm.streams.info(stream());
    const out: string[] = [];
    for (let s = state.first_seq; state.messages > 0 && s <= state.last_seq; s++) out.push((await nats.jsm.streams.getMessage(stream(), { seq: s }))!.json<EventEnvelope>().subject);
    return out;
  };
  const publishedWithin = async (subject: string, ms: number) => {
    const start = Date.now();
    await eventually(async () => expect(await subjectsInStream()).toContain(subject), ms);
    return Date.now() - start;
  };

  /** A session that writes and then sits in its transaction, as a stuck job would. */
  async function openWriteTransaction(url: string, statements: string[]): Promise<Client> {
    const c = new Client({ connectionString: url });
    await c.connect();
    await c.query('BEGIN');
    for (const q of statements) await c.query(q);
    return c;
  }

  it('is not held back by a write transaction open in another database of the cluster', async () => {
    const other = new URL(env.databaseUrl);
    other.pathname = '/postgres';
    const stuck = await openWriteTransaction(other.toString(), ['CREATE TEMP TABLE stuck (x int)', 'INSERT INTO stuck VALUES (1)', 'SELECT pg_current_xact_id()']);
    try {
      await db.transaction().execute((trx) => appendToStream(trx, 'while-other-db', 0, [user(1)], new Date()));
      expect(await publishedWithin('while-other-db', PROMPT_MS)).toBeLessThan(PROMPT_MS);
    } finally {
      await stuck.query('ROLLBACK');
      await stuck.end();
    }
  });

  it("is not held back by a write transaction open in another service's schema", async () => {
    await sql`CREATE SCHEMA IF NOT EXISTS receipts`.execute(db);
    await sql`CREATE TABLE IF NOT EXISTS receipts.busy (x int)`.execute(db);
    const stuck = await openWriteTransaction(env.databaseUrl, ['INSERT INTO receipts.busy VALUES (1)']);
    try {
      await db.transaction().execute((trx) => appendToStream(trx, 'while-other-service', 0, [user(2)], new Date()));
      expect(await publishedWithin('while-other-service', PROMPT_MS)).toBeLessThan(PROMPT_MS);
    } finally {
      await stuck.query('ROLLBACK');
      await stuck.end();
    }
  });

  it('publishes what commits while an appending transaction is open, and the open one after its commit, skipping nothing', async () => {
    let commitLate!: () => void;
    const mayCommit = new Promise<void>((r) => (commitLate = r));
    // `late` writes first (it has the lower transaction id) and commits last.
    const late = db.transaction().execute(async (trx) => {
      await appendToStream(trx, 'late', 0, [user(3)], new Date());
      await mayCommit;
    });
    await eventually(async () => {
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM events WHERE stream_id = 'late'`.execute(db);
      expect(rows[0].n).toBe(0); // invisible until it commits, but written
      const { rows: waiting } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'`.execute(db);
      expect(waiting[0].n).toBe(1);
    });
    await db.transaction().execute((trx) => appendToStream(trx, 'early', 0, [user(4)], new Date()));
    expect(await publishedWithin('early', PROMPT_MS)).toBeLessThan(PROMPT_MS);
    expect(await subjectsInStream()).not.toContain('late');
    commitLate();
    await late;
    await publishedWithin('late', PROMPT_MS);
    const all = await subjectsInStream();
    expect(all.indexOf('early')).toBeLessThan(all.indexOf('late'));
    expect(all.filter((s) => s === 'late' || s === 'early')).toHaveLength(2);
  });

  it('keeps one stream in order and publishes each event once, whatever commits interleave', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        db.transaction().execute(async (trx) => {
          await sql`SELECT pg_advisory_xact_lock(7)`.execute(trx); // the stream's writer lock
          const { rows } = await sql<{ v: number | null }>`SELECT max(stream_version) AS v FROM events WHERE stream_id = 'ordered'`.execute(trx);
          await appendToStream(trx, 'ordered', Number(rows[0].v ?? 0), [user(100 + i)], new Date());
        }),
      ),
    );
    await eventually(async () => expect((await subjectsInStream()).filter((s) => s === 'ordered')).toHaveLength(20));
    const { state } = await nats.jsm.streams.info(stream());
    const versions: string[] = [];
    for (let s = state.first_seq; s <= state.last_seq; s++) {
      const e = (await nats.jsm.streams.getMessage(stream(), { seq: s }))!.json<EventEnvelope>();
      if (e.subject === 'ordered') versions.push((e.data as { userId: string }).userId);
    }
    const { rows } = await sql<{ user_id: string }>`
      SELECT data->>'userId' AS user_id FROM events WHERE stream_id = 'ordered' ORDER BY stream_version`.execute(db);
    expect(versions).toEqual(rows.map((r) => r.user_id));
  });
});
