import { newEvent, Subjects } from '@im/contracts';
import { createDb, migrateToLatest } from '@im/db';
import { createTestEnv, eventually, TestEnv } from '@im/testing';
import { Kysely, sql } from 'kysely';
import { appendToStream, MAX_EVENT_ENVELOPE_BYTES } from './append';
import { toEnvelope } from './envelope';
import { connectNats, ensureEventStream, Nats } from './nats';
import { OutboxRelay } from './relay';
import { eventStoreMigrations } from './migrations';

/**
 * An event the relay could not publish as one NATS message would stall it for good (issue 11):
 * it is refused with 413 at append, and the transaction that carried it stores nothing.
 */
describe('events are sized at write time', () => {
  let env: TestEnv;
  let db: Kysely<any>;
  let nats: Nats;
  let subjects: Subjects;
  const schema = 'messaging';
  const channel = 'messaging_events';

  beforeAll(async () => {
    env = await createTestEnv();
    db = createDb({ url: env.databaseUrl, schema });
    await migrateToLatest(db, schema, eventStoreMigrations(schema, channel));
    await sql`CREATE TABLE side_effects (id text PRIMARY KEY)`.execute(db);
    nats = await connectNats(env.natsUrl, 'event-size-test');
    subjects = new Subjects(env.prefix);
    await ensureEventStream(nats.jsm, subjects, 'messaging');
  });

  afterAll(async () => {
    await nats?.nc.close();
    await db?.destroy();
    await env?.dispose();
  });

  /** A user.upserted whose envelope is `extra` bytes past the limit (negative: under it). */
  const userEvent = (streamId: string, extra: number) => {
    const probe = newEvent('user.upserted', { userId: 'u1', name: '', portrait: null });
    const envelope = toEnvelope('expansions', {
      global_position: Number.MAX_SAFE_INTEGER,
      event_id: '00000000-0000-0000-0000-000000000000',
      stream_id: streamId,
      type: probe.type,
      data_version: 1,
      data: probe.data,
      occurred_at: new Date(),
      // The trace context an envelope may carry counts against the limit.
      metadata: { traceparent: `00-${'0'.repeat(32)}-${'0'.repeat(16)}-01` },
    });
    const name = 'n'.repeat(MAX_EVENT_ENVELOPE_BYTES - Buffer.byteLength(JSON.stringify(envelope)) + extra);
    return newEvent('user.upserted', { userId: 'u1', name, portrait: null });
  };

  const count = async (table: string) => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(db)).rows[0].n);

  it('refuses an event whose envelope would not fit (413) and rolls back its whole transaction', async () => {
    const append = db.transaction().execute(async (trx) => {
      await trx.insertInto('side_effects').values({ id: 'written-before-the-append' }).execute();
      await appendToStream(trx, 'user-u1', 0, [newEvent('user.upserted', { userId: 'u1', name: 'fine', portrait: null }), userEvent('user-u1', 1)], new Date());
    });
    await expect(append).rejects.toMatchObject({ code: 'CONTENT_TOO_LARGE', status: 413, details: { field: 'event', limit: MAX_EVENT_ENVELOPE_BYTES } });
    expect(await count('events')).toBe(0);
    expect(await count('side_effects')).toBe(0);
  });

  it('takes an event right at the limit, and the relay publishes it', async () => {
    await db.transaction().execute((trx) => appendToStream(trx, 'user-u1', 0, [userEvent('user-u1', 0)], new Date()));
    expect(await count('events')).toBe(1);
    const relay = new OutboxRelay({ databaseUrl: env.databaseUrl, schema, service: 'messaging', js: nats.js, subjects, notifyChannel: channel, pollMs: 100 });
    await relay.start();
    try {
      await eventually(async () => expect((await nats.jsm.streams.info(subjects.stream('messaging'))).state.messages).toBe(1));
    } finally {
      await relay.stop();
    }
  });
});
