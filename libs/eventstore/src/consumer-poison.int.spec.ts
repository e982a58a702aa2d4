import { randomUUID } from 'node:crypto';
import { Errors, Subjects } from '@im/contracts';
import { createDb, migrateToLatest } from '@im/db';
import { createTestEnv, eventually, TestEnv } from '@im/testing';
import { Kysely, sql } from 'kysely';
import { ProjectionConsumer, WARN_AFTER_FAILURES } from './consumer';
import { toEnvelope } from './envelope';
import { Logger } from './logger';
import { connectNats, ensureEventStream, Nats } from './nats';
import { dropParked, listParked, requestRetry } from './parked';
import { Projection } from './projection';
import { eventStoreMigration, parkedEventsMigration } from './schema';

/**
 * Poison and transient failures in the projection consumer, against real Postgres and NATS:
 * messages published straight onto the stream (as anyone with NATS access could), a projection
 * that refuses some users (a domain refusal) and one that waits on a row lock held by the test
 * (a real transient failure: Postgres' lock_timeout).
 */
describe('projection consumer: poison and transient failures', () => {
  let env: TestEnv;
  let db: Kysely<any>;
  let nats: Nats;
  let subjects: Subjects;
  let consumer: ProjectionConsumer;
  const logs: Array<{ level: 'log' | 'warn' | 'error'; message: string }> = [];
  const logger: Logger = {
    log: (message) => logs.push({ level: 'log', message }),
    warn: (message) => logs.push({ level: 'warn', message }),
    error: (message) => logs.push({ level: 'error', message }),
  };
  let lockWaits = 0;

  /** user.upserted into `seen`; a blocked user is refused (422); a `gated-` one waits on the gate row. */
  /** The types the projection was offered (only those it handles). */
  const offered = new Set<string>();
  const projection: Projection<'user.upserted'> = {
    name: 'seen',
    sources: ['messaging'],
    tables: ['seen'],
    handles: ['user.upserted'],
    async apply(trx, event) {
      offered.add(event.type);
      const { userId } = event.data;
      const blocked = await sql`SELECT 1 FROM blocked WHERE user_id = ${userId ?? null}`.execute(trx);
      if (blocked.rows.length > 0) throw Errors.forbidden(`${userId} is blocked`);
      if (userId?.startsWith('gated-')) {
        await sql`SET LOCAL lock_timeout = '50ms'`.execute(trx);
        try {
          await sql`SELECT 1 FROM gate FOR UPDATE`.execute(trx);
        } catch (e) {
          lockWaits += 1;
          throw e;
        }
      }
      await trx.insertInto('seen').values({ event_id: event.id, user_id: userId }).execute();
    },
  };

  let sequence = 0;
  const publish = async (payload: string | object, type = 'user.upserted') => {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    return (await nats.js.publish(subjects.event('messaging', type), body)).seq;
  };
  const user = (userId: unknown) =>
    toEnvelope('messaging', {
      global_position: ++sequence,
      event_id: randomUUID(),
      stream_id: `user-${String(userId)}`,
      type: 'user.upserted',
      data_version: 1,
      data: { userId, name: 'x', portrait: null },
      occurred_at: new Date(),
    });
  const seen = async () => (await db.selectFrom('seen').select('user_id').orderBy('user_id').execute()).map((r) => r.user_id);
  const checkpoint = async () =>
    Number((await sql<{ s: number }>`SELECT stream_sequence AS s FROM projection_checkpoints WHERE projection = 'seen'`.execute(db)).rows[0]?.s ?? 0);

  beforeAll(async () => {
    env = await createTestEnv();
    db = createDb({ url: env.databaseUrl, schema: 'messaging' });
    await migrateToLatest(db, 'messaging', { '0000_event_store': eventStoreMigration('messaging_events'), '0001_parked_events': parkedEventsMigration() });
    await sql`CREATE TABLE seen (event_id uuid PRIMARY KEY, user_id text NOT NULL)`.execute(db);
    await sql`CREATE TABLE blocked (user_id text PRIMARY KEY)`.execute(db);
    await sql`CREATE TABLE gate (id int PRIMARY KEY)`.execute(db);
    await sql`INSERT INTO gate VALUES (1)`.execute(db);
    nats = await connectNats(env.natsUrl, 'consumer-poison-test');
    subjects = new Subjects(env.prefix);
    await ensureEventStream(nats.jsm, subjects, 'messaging');
    consumer = new ProjectionConsumer({ db, js: nats.js, jsm: nats.jsm, subjects, owner: 'messaging', source: 'messaging', projection, logger, databaseUrl: env.databaseUrl });
    await consumer.start();
  });

  afterAll(async () => {
    await consumer?.stop();
    await nats?.nc.close();
    await db?.destroy();
    await env?.dispose();
  });

  it('parks what cannot be applied, in its place, steps over what it does not handle, and applies everything around it', async () => {
    await sql`INSERT INTO blocked VALUES ('mallory')`.execute(db);
    const seqs = {
      before: await publish(user('ana')),
      garbage: await publish('{not json'),
      shapeless: await publish(user(undefined)),
      refused: await publish(user('mallory')),
      foreign: await publish({ ...user('zed'), type: 'redpacket.claimed' }, 'redpacket.claimed'),
      // Not a type the projection handles (and not its shape): never offered, so neither applied nor parked.
      unhandled: await publish({ ...user('gus'), type: 'group.upserted' }, 'group.upserted'),
      after: await publish(user('bo')),
    };
    await eventually(async () => expect(await checkpoint()).toBe(seqs.after));
    expect(await seen()).toEqual(['ana', 'bo']);
    expect([...offered]).toEqual(['user.upserted']);

    const parked = await listParked(db, { projection: 'seen' });
    expect(parked.map((p) => [p.stream_sequence, p.kind])).toEqual([
      [seqs.garbage, 'poison'],
      [seqs.shapeless, 'poison'],
      [seqs.refused, 'poison'],
      [seqs.foreign, 'poison'],
    ]);
    const [garbage, shapeless, refused, foreign] = parked;
    expect(garbage).toMatchObject({ event_id: null, subject: subjects.event('messaging', 'user.upserted'), stream: consumer.stream });
    expect(garbage.payload!.toString()).toBe('{not json');
    expect(garbage.error).toMatch(/^not JSON/);
    expect(shapeless.error).toMatch(/postgres 23502/);
    expect(refused.error).toMatch(/^FORBIDDEN \(403\)/);
    expect(refused.event_id).toBe(JSON.parse(refused.payload!.toString()).id);
    expect(foreign.error).toMatch(/not an event of messaging/);
    // Each logged once, at error level, and counted.
    expect(logs.filter((l) => l.level === 'error' && l.message.includes('parked #'))).toHaveLength(4);
    expect(consumer.stats.parked).toBe(4);
  });

  it('re-applies a queued retry once it can succeed, and puts back one that cannot', async () => {
    const [, shapeless, refused] = await listParked(db, { projection: 'seen' });
    await sql`DELETE FROM blocked WHERE user_id = 'mallory'`.execute(db);
    await requestRetry(db, refused.id);
    await requestRetry(db, shapeless.id);
    await eventually(async () => {
      const rows = await listParked(db, { projection: 'seen' });
      expect(rows.find((r) => r.id === refused.id)).toBeUndefined();
      expect(rows.find((r) => r.id === shapeless.id)).toMatchObject({ attempts: 2, retry_requested_at: null });
    });
    expect(await seen()).toEqual(['ana', 'bo', 'mallory']);
    await expect(requestRetry(db, 999_999)).rejects.toThrow('no parked event #999999');
  });

  it('drops a parked message', async () => {
    const [garbage] = await listParked(db, { projection: 'seen' });
    await dropParked(db, garbage.id);
    expect((await listParked(db, { projection: 'seen' })).map((r) => r.id)).not.toContain(garbage.id);
    await expect(dropParked(db, garbage.id)).rejects.toThrow(`no parked event #${garbage.id}`);
  });

  it('retries a transient failure with backoff, warns after a few, then applies it exactly once', async () => {
    const holder = createDb({ url: env.databaseUrl, schema: 'messaging', poolSize: 1 });
    const parkedBefore = (await listParked(db)).length;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    // The test holds the gate row; the projection's lock_timeout fails each attempt until it lets go.
    const holding = holder.transaction().execute(async (trx) => {
      await sql`SELECT 1 FROM gate FOR UPDATE`.execute(trx);
      locked();
      await released;
    });
    try {
      await Promise.race([isLocked, holding]);
      const gated = await publish(user('gated-1'));
      const after = await publish(user('zoe'));
      await eventually(() => Promise.resolve(expect(lockWaits).toBeGreaterThanOrEqual(WARN_AFTER_FAILURES)), 20_000);
      expect(await checkpoint()).toBeLessThan(gated);
      release();
      await holding;
      await eventually(async () => expect(await checkpoint()).toBe(after), 20_000);
    } finally {
      release();
      await holding.catch(() => undefined);
      await holder.destroy();
    }
    expect(await seen()).toEqual(['ana', 'bo', 'gated-1', 'mallory', 'zoe']);
    expect((await listParked(db)).length).toBe(parkedBefore);
    expect(logs.some((l) => l.level === 'warn' && /#\d+ \(postgres 55P03/.test(l.message))).toBe(true);
  });
});
