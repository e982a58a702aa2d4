import { randomUUID } from 'node:crypto';
import { Subjects } from '@im/contracts';
import { createDb, migrateToLatest } from '@im/db';
import { createTestEnv, eventually, TestEnv } from '@im/testing';
import { Kysely, sql } from 'kysely';
import { ProjectionConsumer } from './consumer';
import { toEnvelope } from './envelope';
import { Logger } from './logger';
import { connectNats, ensureEventStream, Nats } from './nats';
import { listParked } from './parked';
import { Projection } from './projection';
import { eventStoreMigration, parkedEventsMigration } from './schema';

/**
 * Events that are no longer in the stream when the consumer reaches them: trimmed (purged),
 * deleted one by one, or the whole stream deleted and created again. Each is recorded as a gap
 * and logged as an error, and the projection goes on with what the stream still has.
 */
describe('projection consumer: gaps in the stream', () => {
  let env: TestEnv;
  let db: Kysely<any>;
  let nats: Nats;
  let subjects: Subjects;
  let consumer: ProjectionConsumer | undefined;
  const errors: string[] = [];
  const logger: Logger = { log: () => undefined, warn: () => undefined, error: (m) => errors.push(m) };
  const stream = () => subjects.stream('messaging');

  const projection: Projection<'user.upserted'> = {
    name: 'seen',
    sources: ['messaging'],
    tables: ['seen'],
    handles: ['user.upserted'],
    async apply(trx, event) {
      await trx.insertInto('seen').values({ event_id: event.id, user_id: event.data.userId }).execute();
    },
  };

  let position = 0;
  const publish = async (userId: string) => {
    const envelope = toEnvelope('messaging', {
      global_position: ++position,
      event_id: randomUUID(),
      stream_id: `user-${userId}`,
      type: 'user.upserted',
      data_version: 1,
      data: { userId, name: userId, portrait: null },
      occurred_at: new Date(),
    });
    return (await nats.js.publish(subjects.event('messaging', 'user.upserted'), JSON.stringify(envelope))).seq;
  };
  const seen = async () => (await db.selectFrom('seen').select('user_id').orderBy('user_id').execute()).map((r) => r.user_id);
  const gaps = async () => (await listParked(db, { projection: 'seen' })).filter((p) => p.kind === 'gap');
  const checkpoint = async () => Number((await sql<{ s: number }>`SELECT stream_sequence AS s FROM projection_checkpoints`.execute(db)).rows[0]?.s ?? 0);
  const start = async () => {
    consumer = new ProjectionConsumer({ db, js: nats.js, jsm: nats.jsm, subjects, owner: 'messaging', source: 'messaging', projection, logger, databaseUrl: env.databaseUrl });
    await consumer.start();
  };
  const stop = async () => {
    await consumer?.stop();
    consumer = undefined;
  };

  beforeAll(async () => {
    env = await createTestEnv();
    db = createDb({ url: env.databaseUrl, schema: 'messaging' });
    await migrateToLatest(db, 'messaging', { '0000_event_store': eventStoreMigration('messaging_events'), '0001_parked_events': parkedEventsMigration() });
    await sql`CREATE TABLE seen (event_id uuid PRIMARY KEY, user_id text NOT NULL)`.execute(db);
    nats = await connectNats(env.natsUrl, 'consumer-gaps-test');
    subjects = new Subjects(env.prefix);
    await ensureEventStream(nats.jsm, subjects, 'messaging');
  });

  afterAll(async () => {
    await stop();
    await nats?.nc.close();
    await db?.destroy();
    await env?.dispose();
  });

  it('steps over a trimmed stretch, records it, and goes on', async () => {
    await start();
    await publish('a1');
    const caughtUp = await publish('a2');
    await eventually(async () => expect(await checkpoint()).toBe(caughtUp));
    await stop();
    await publish('lost1');
    const lastLost = await publish('lost2');
    await nats.jsm.streams.purge(stream());
    const next = await publish('a3');
    await start();
    await eventually(async () => expect(await checkpoint()).toBe(next));
    expect(await seen()).toEqual(['a1', 'a2', 'a3']);
    expect((await gaps()).map((g) => [g.stream_sequence, g.last_sequence])).toEqual([[caughtUp + 1, lastLost]]);
    expect(errors.filter((e) => e.includes('trimmed'))).toHaveLength(1);
  });

  it('steps over messages deleted from the middle of the stream', async () => {
    await stop();
    const before = await publish('b1');
    const deleted = await publish('deleted');
    const after = await publish('b2');
    await nats.jsm.streams.deleteMessage(stream(), deleted);
    await start();
    await eventually(async () => expect(await checkpoint()).toBe(after));
    expect(await seen()).toEqual(['a1', 'a2', 'a3', 'b1', 'b2']);
    expect((await gaps()).at(-1)).toMatchObject({ stream_sequence: before + 1, last_sequence: before + 1 });
    expect((await gaps()).at(-1)!.error).toMatch(/deleted from the stream/);
  });

  it('starts over when the stream is created again under a running consumer', async () => {
    const old = await checkpoint();
    await nats.jsm.streams.delete(stream());
    await ensureEventStream(nats.jsm, subjects, 'messaging');
    // The new stream numbers from 1: below the old checkpoint, these would be skipped as redeliveries.
    await publish('c1');
    const last = await publish('c2');
    expect(last).toBeLessThan(old);
    await eventually(async () => expect(await seen()).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'c1', 'c2']), 15_000);
    expect(await checkpoint()).toBe(last);
    expect((await gaps()).at(-1)).toMatchObject({ stream_sequence: old + 1, last_sequence: null });
    expect(errors.some((e) => e.includes('created again'))).toBe(true);
  });
});
