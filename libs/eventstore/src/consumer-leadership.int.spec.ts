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
 * Two replicas of one projection: one leads. When the leader's database session dies (as in a
 * Postgres restart) the process stays up, the leader steps down, one replica leads again, and
 * every event is applied exactly once.
 */
describe('projection consumer: leadership', () => {
  let env: TestEnv;
  let db: Kysely<any>;
  let nats: Nats;
  let subjects: Subjects;
  const replicas: Array<{ consumer: ProjectionConsumer; warnings: string[] }> = [];

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
  const leaders = () => replicas.filter((r) => r.consumer.isLeader);

  beforeAll(async () => {
    env = await createTestEnv();
    db = createDb({ url: env.databaseUrl, schema: 'messaging' });
    await migrateToLatest(db, 'messaging', { '0000_event_store': eventStoreMigration('messaging_events'), '0001_parked_events': parkedEventsMigration() });
    await sql`CREATE TABLE seen (event_id uuid PRIMARY KEY, user_id text NOT NULL)`.execute(db);
    nats = await connectNats(env.natsUrl, 'consumer-leadership-test');
    subjects = new Subjects(env.prefix);
    await ensureEventStream(nats.jsm, subjects, 'messaging');
    for (let i = 0; i < 2; i++) {
      const warnings: string[] = [];
      const logger: Logger = { log: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
      const consumer = new ProjectionConsumer({ db, js: nats.js, jsm: nats.jsm, subjects, owner: 'messaging', source: 'messaging', projection, logger, databaseUrl: env.databaseUrl });
      await consumer.start();
      replicas.push({ consumer, warnings });
    }
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.consumer.stop()));
    await nats?.nc.close();
    await db?.destroy();
    await env?.dispose();
  });

  it('steps down when its session dies, and one replica leads on with nothing applied twice', async () => {
    await publish('u1');
    await publish('u2');
    await eventually(async () => expect(await seen()).toEqual(['u1', 'u2']));
    await eventually(() => Promise.resolve(expect(leaders()).toHaveLength(1)));
    const [old] = leaders();

    // The session holding the advisory lock goes, as in a database restart.
    const { rows } = await sql<{ n: number }>`
      SELECT count(pg_terminate_backend(l.pid))::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()`.execute(db);
    expect(rows[0].n).toBe(1);
    await eventually(() => Promise.resolve(expect(old.warnings.some((w) => w.includes('stepping down'))).toBe(true)));

    await publish('u3');
    await publish('u4');
    await eventually(async () => expect(await seen()).toEqual(['u1', 'u2', 'u3', 'u4']), 15_000);
    await eventually(() => Promise.resolve(expect(leaders()).toHaveLength(1)), 15_000);
    expect(await listParked(db)).toEqual([]);
  });
});
