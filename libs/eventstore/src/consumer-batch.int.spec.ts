import { randomUUID } from 'node:crypto';
import { Errors, Subjects } from '@im/contracts';
import { createDb, migrateToLatest } from '@im/db';
import { createTestEnv, eventually, TestEnv } from '@im/testing';
import { Kysely, sql } from 'kysely';
import { ProjectionConsumer } from './consumer';
import { toEnvelope } from './envelope';
import { eventStoreMigrations } from './migrations';
import { connectNats, ensureEventStream, Nats } from './nats';
import { listParked } from './parked';
import { Projection, runsOf } from './projection';

/**
 * Set-based projections (applyBatch): a batch goes as one set, and a batch that fails is applied
 * again event by event, so the failing event is parked alone and the others apply exactly once.
 */
describe('projection consumer: batches', () => {
  let env: TestEnv;
  let db: Kysely<any>;
  let nats: Nats;
  let subjects: Subjects;
  const sets: string[][] = [];
  const singles: string[] = [];

  const refuse = (userId: string) => {
    if (userId.startsWith('blocked')) throw Errors.forbidden(`${userId} is blocked`);
  };
  const apply: Projection<'user.upserted'>['apply'] = async (trx, event) => {
    const { userId } = event.data;
    singles.push(userId);
    refuse(userId);
    await trx.insertInto('seen').values({ user_id: userId }).execute();
  };
  const projection: Projection<'user.upserted'> = {
    name: 'seen',
    sources: ['messaging'],
    tables: ['seen'],
    handles: ['user.upserted'],
    apply,
    applyBatch: runsOf(
      'user.upserted',
      async (trx, run) => {
        sets.push(run.map((u) => u.userId));
        run.forEach((u) => refuse(u.userId));
        await trx.insertInto('seen').values(run.map((u) => ({ user_id: u.userId }))).execute();
      },
      apply,
    ),
  };

  let position = 0;
  const publish = (userId: string) =>
    nats.js.publish(
      subjects.event('messaging', 'user.upserted'),
      JSON.stringify(
        toEnvelope('messaging', {
          global_position: ++position,
          event_id: randomUUID(),
          stream_id: `user-${userId}`,
          type: 'user.upserted',
          data_version: 1,
          data: { userId, name: userId, portrait: null },
          occurred_at: new Date(),
        }),
      ),
    );
  const seen = async () => (await db.selectFrom('seen').select('user_id').orderBy('user_id').execute()).map((r) => r.user_id);

  beforeAll(async () => {
    env = await createTestEnv();
    db = createDb({ url: env.databaseUrl, schema: 'messaging' });
    await migrateToLatest(db, 'messaging', eventStoreMigrations('messaging', 'messaging_events'));
    await sql`CREATE TABLE seen (user_id text PRIMARY KEY)`.execute(db);
    nats = await connectNats(env.natsUrl, 'consumer-batch-test');
    subjects = new Subjects(env.prefix);
    await ensureEventStream(nats.jsm, subjects, 'messaging');
  });

  afterAll(async () => {
    await nats?.nc.close();
    await db?.destroy();
    await env?.dispose();
  });

  it('applies what is waiting as sets, and a failing set event by event: the culprit parked, the rest once', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => (i === 17 ? 'blocked-17' : `u${String(i).padStart(2, '0')}`));
    for (const id of ids) await publish(id);
    // The first batch (whatever arrived first) waits until all 30 are delivered: the batches hold many.
    let held = false;
    const consumer: ProjectionConsumer = new ProjectionConsumer({
      db, js: nats.js, jsm: nats.jsm, subjects, owner: 'messaging', source: 'messaging', projection, databaseUrl: env.databaseUrl,
      beforeApply: async () => {
        if (held) return;
        held = true;
        await eventually(async () => expect((await nats.jsm.consumers.info(consumer.stream, consumer.durable)).num_ack_pending).toBe(30));
      },
    });
    await consumer.start();
    try {
      const good = ids.filter((id) => !id.startsWith('blocked')).sort();
      await eventually(async () => expect(await seen()).toEqual(good));
      // The batch holding the culprit went as one set of many, and failed as one.
      expect(sets.find((set) => set.includes('blocked-17'))!.length).toBeGreaterThan(1);
      expect(singles.filter((id) => id === 'blocked-17')).toHaveLength(1);
      const parked = await listParked(db, { projection: 'seen' });
      expect(parked).toHaveLength(1);
      expect(parked[0].error).toMatch(/^FORBIDDEN/);

      // Later batches go as sets again.
      const before = sets.length;
      for (const id of ['v1', 'v2', 'v3']) await publish(id);
      await eventually(async () => expect(await seen()).toEqual([...good, 'v1', 'v2', 'v3'].sort()));
      expect(sets.length).toBeGreaterThan(before);
    } finally {
      await consumer.stop();
    }
  });
});
