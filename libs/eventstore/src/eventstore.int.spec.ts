import { EventEnvelope, newEvent, Subjects } from '@im/contracts';
import { createDb, migrateToLatest } from '@im/db';
import { createTestEnv, eventually, TestEnv } from '@im/testing';
import { JsMsg } from '@nats-io/jetstream';
import { Kysely, sql } from 'kysely';
import { appendToStream } from './append';
import { ProjectionConsumer } from './consumer';
import { connectNats, ensureEventStream, Nats } from './nats';
import { Projection } from './projection';
import { OutboxRelay } from './relay';
import { eventStoreMigrations } from './migrations';

/** The event store, the relay and the consumer helper against real Postgres and NATS. */
describe('event store plumbing', () => {
  let env: TestEnv;
  let db: Kysely<any>;
  let nats: Nats;
  let subjects: Subjects;
  const schema = 'messaging';
  const channel = 'messaging_events';
  const stream = () => subjects.stream('messaging');

  beforeAll(async () => {
    env = await createTestEnv();
    db = createDb({ url: env.databaseUrl, schema });
    await migrateToLatest(db, schema, eventStoreMigrations(schema, channel));
    nats = await connectNats(env.natsUrl, 'eventstore-test');
    subjects = new Subjects(env.prefix);
    await ensureEventStream(nats.jsm, subjects, 'messaging');
  });

  afterAll(async () => {
    await nats?.nc.close();
    await db?.destroy();
    await env?.dispose();
  });

  const user = (n: number) => newEvent('user.upserted', { userId: `u${n}`, name: `User ${n}`, portrait: null });
  const relay = (extra: Partial<ConstructorParameters<typeof OutboxRelay>[0]> = {}) =>
    new OutboxRelay({ databaseUrl: env.databaseUrl, schema, service: 'messaging', js: nats.js, subjects, notifyChannel: channel, pollMs: 100, ...extra });
  const streamMessages = async () => (await nats.jsm.streams.info(stream())).state.messages;
  /** Waits until the relay has published everything committed so far. */
  const drained = () =>
    eventually(async () => {
      const { n } = await db.selectFrom('events').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
      expect(await streamMessages()).toBe(n);
    });

  it('lets exactly one of two racing appends to the same stream version win', async () => {
    const results = await Promise.allSettled(
      [1, 2].map((n) => db.transaction().execute((trx) => appendToStream(trx, 'race-1', 0, [user(n)], new Date()))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toMatchObject({ code: 'CONCURRENCY_CONFLICT', status: 409 });
    const rows = await db.selectFrom('events').select('stream_version').where('stream_id', '=', 'race-1').execute();
    expect(rows).toEqual([{ stream_version: 1 }]);
  });

  it('publishes every event once, in commit order, even when a transaction commits late', async () => {
    const r = relay();
    await r.start();
    await drained();
    const before = await streamMessages();
    // `late` takes its transaction id first and commits last; `early` commits in between.
    let releaseLate!: () => void;
    const lateMayCommit = new Promise<void>((res) => (releaseLate = res));
    const late = db.transaction().execute(async (trx) => {
      await sql`SELECT pg_current_xact_id()`.execute(trx);
      await appendToStream(trx, 'late', 0, [user(10)], new Date());
      await lateMayCommit;
    });
    await new Promise((res) => setTimeout(res, 50));
    await db.transaction().execute((trx) => appendToStream(trx, 'early', 0, [user(11)], new Date()));
    // Committed first, published first: the running `late` holds nothing back, and is not skipped.
    await eventually(async () => expect(await streamMessages()).toBe(before + 1));
    releaseLate();
    await late;
    await eventually(async () => expect(await streamMessages()).toBe(before + 2));
    const subjects = await Promise.all([1, 2].map(async (n) => (await nats.jsm.streams.getMessage(stream(), { seq: before + n }))!.json<EventEnvelope>().subject));
    expect(subjects).toEqual(['early', 'late']);
    await r.stop();
  });

  it('deduplicates the re-publish of a relay killed between publishing and marking', async () => {
    const before = await streamMessages();
    await db.transaction().execute((trx) => appendToStream(trx, 'crash', 0, [user(20), user(21), user(22)], new Date()));
    const crashing = relay();
    // Simulate the crash: the publish reaches the stream, the checkpoint never moves.
    (crashing as unknown as { saveCheckpoint: () => Promise<void> }).saveCheckpoint = async () => {
      throw new Error('killed');
    };
    await crashing.start();
    await eventually(async () => expect(await streamMessages()).toBe(before + 3));
    await crashing.stop();
    const cp = await db.selectFrom('relay_checkpoint').select('global_position').executeTakeFirstOrThrow();
    const next = relay();
    await next.start();
    await eventually(async () => {
      const moved = await db.selectFrom('relay_checkpoint').select('global_position').executeTakeFirstOrThrow();
      expect(moved.global_position).toBeGreaterThan(cp.global_position);
    });
    expect(await streamMessages()).toBe(before + 3);
    await next.stop();
  });

  it('lets only one of two relay replicas publish, and the other take over', async () => {
    const a = relay();
    const b = relay();
    await a.start();
    await b.start();
    const before = await streamMessages();
    await db.transaction().execute((trx) => appendToStream(trx, 'replicas', 0, [user(30), user(31)], new Date()));
    await eventually(async () => expect(await streamMessages()).toBe(before + 2));
    await a.stop();
    await db.transaction().execute((trx) => appendToStream(trx, 'replicas', 2, [user(32)], new Date()));
    await eventually(async () => expect(await streamMessages()).toBe(before + 3), 5_000);
    await b.stop();
  });

  it('reconnects and resumes when its database connection is killed', async () => {
    const r = relay();
    await r.start();
    await drained();
    const before = await streamMessages();
    // Every other backend of this database goes, the relay's listening connection with them.
    await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`.execute(db);
    await db.transaction().execute((trx) => appendToStream(trx, 'after-restart', 0, [user(50)], new Date()));
    await eventually(async () => expect(await streamMessages()).toBe(before + 1), 5_000);
    await r.stop();
  });

  describe('projection consumer', () => {
    const projection: Projection<'user.upserted'> = {
      name: 'seen_users',
      sources: ['messaging'],
      tables: ['seen_users'],
      handles: ['user.upserted'],
      async apply(trx, event) {
        await trx.insertInto('seen_users').values({ event_id: event.id, user_id: event.data.userId }).execute();
      },
    };

    beforeAll(async () => {
      await sql`CREATE TABLE seen_users (event_id uuid PRIMARY KEY, user_id text NOT NULL)`.execute(db);
    });

    it('redelivers a failing batch and ends with every event applied exactly once', async () => {
      const r = relay();
      await r.start();
      let failures = 0;
      const consumer = new ProjectionConsumer({
        db,
        js: nats.js,
        jsm: nats.jsm,
        subjects,
        owner: 'messaging',
        source: 'messaging',
        projection,
        beforeApply: (batch: JsMsg[]) => {
          if (batch.some((m) => m.json<EventEnvelope>().subject === 'flaky') && failures < 2) {
            failures += 1;
            throw new Error('projection database hiccup');
          }
        },
      });
      await consumer.start();
      await db.transaction().execute((trx) => appendToStream(trx, 'flaky', 0, [user(40), user(41), user(42)], new Date()));
      const total = await db.selectFrom('events').select(sql<number>`count(*)::int`.as('n')).where('type', '=', 'user.upserted').executeTakeFirstOrThrow();
      await eventually(async () => {
        const rows = await db.selectFrom('seen_users').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
        expect(rows.n).toBe(total.n);
      });
      expect(failures).toBe(2);
      const ids = await db.selectFrom('seen_users').select('user_id').where('user_id', 'in', ['u40', 'u41', 'u42']).execute();
      expect(ids.map((i) => i.user_id).sort()).toEqual(['u40', 'u41', 'u42']);
      await consumer.stop();
      await r.stop();
    });

    it('skips redelivered events already applied (replay from the start is idempotent)', async () => {
      const count = async () => (await db.selectFrom('seen_users').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;
      const before = await count();
      // A new durable consumer of the same projection starts from the first event again; the
      // checkpoint makes every one of them a no-op (the table's primary key would throw otherwise).
      await nats.jsm.consumers.delete(stream(), subjects.durable('messaging', 'seen_users'));
      const consumer = new ProjectionConsumer({ db, js: nats.js, jsm: nats.jsm, subjects, owner: 'messaging', source: 'messaging', projection });
      await consumer.start();
      await eventually(async () => {
        const info = await nats.jsm.consumers.info(stream(), consumer.durable);
        expect(info.num_pending + info.num_ack_pending).toBe(0);
      });
      expect(await count()).toBe(before);
      await consumer.stop();
    });
  });
});
