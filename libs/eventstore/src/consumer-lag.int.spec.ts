import { randomUUID } from 'node:crypto';
import { Subjects } from '@im/contracts';
import { createDb, migrateToLatest } from '@im/db';
import { createTestEnv, eventually, TestEnv } from '@im/testing';
import { Kysely, sql } from 'kysely';
import { ProjectionConsumer } from './consumer';
import { toEnvelope } from './envelope';
import { eventStoreMigrations } from './migrations';
import { connectNats, ensureEventStream, Nats } from './nats';
import { Projection } from './projection';

/** `lagSeconds` (im_projection_lag_seconds, readiness): the age of what waits, 0 when caught up. */
describe('projection consumer: lag', () => {
  let env: TestEnv;
  let db: Kysely<any>;
  let nats: Nats;
  let subjects: Subjects;
  let position = 0;

  const projection: Projection<'user.upserted'> = {
    name: 'seen',
    sources: ['messaging'],
    tables: ['seen'],
    handles: ['user.upserted'],
    async apply(trx, event) {
      await trx.insertInto('seen').values({ user_id: event.data.userId }).execute();
    },
  };
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
    nats = await connectNats(env.natsUrl, 'consumer-lag-test');
    subjects = new Subjects(env.prefix);
    await ensureEventStream(nats.jsm, subjects, 'messaging');
  });

  afterAll(async () => {
    await nats?.nc.close();
    await db?.destroy();
    await env?.dispose();
  });

  it('is 0 when caught up, grows with the age of what waits, and is 0 again once applied', async () => {
    let hold: Promise<void> | undefined;
    let release!: () => void;
    let entered = false;
    const consumer = new ProjectionConsumer({
      db, js: nats.js, jsm: nats.jsm, subjects, owner: 'messaging', source: 'messaging', projection, databaseUrl: env.databaseUrl,
      beforeApply: async () => {
        if (!hold) return;
        entered = true;
        await hold;
      },
    });
    await consumer.start();
    try {
      await publish('u1');
      await eventually(async () => expect(await seen()).toEqual(['u1']));
      await eventually(async () => expect(consumer.lagSeconds()).toBe(0));
      // u1 is well in the past when u2 comes: the lag must count from u2, not from the last applied.
      await new Promise((r) => setTimeout(r, 300));

      hold = new Promise<void>((r) => (release = r));
      const publishedAt = Date.now();
      await publish('u2');
      await eventually(async () => expect(entered).toBe(true));
      await eventually(async () => expect(consumer.lagSeconds()).toBeGreaterThanOrEqual(0.2));
      expect(consumer.lagSeconds()).toBeLessThanOrEqual((Date.now() - publishedAt) / 1000 + 0.05);

      release();
      await eventually(async () => expect(await seen()).toEqual(['u1', 'u2']));
      await eventually(async () => expect(consumer.lagSeconds()).toBe(0));
    } finally {
      release?.();
      await consumer.stop();
    }
  });
});
