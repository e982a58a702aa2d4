import { createServer, Server, Socket } from 'node:net';
import { EVENTS, newEvent, Subjects } from '@im/contracts';
import { createDb, migrateToLatest } from '@im/db';
import { createTestEnv, eventually, TestEnv } from '@im/testing';
import { DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { Kysely, sql } from 'kysely';
import { appendToStream } from './append';
import { connectNats, Nats } from './nats';
import { OutboxRelay, RelayOptions } from './relay';
import { eventStoreMigrations } from './migrations';

/**
 * The relay against what the world does to it: a restart after the duplicate window, an event
 * too big to publish, a database connection that dies without closing.
 */
describe('outbox relay robustness', () => {
  let env: TestEnv;
  let db: Kysely<any>;
  let nats: Nats;
  let subjects: Subjects;
  const schema = 'messaging';
  const channel = 'messaging_events';
  const stream = () => subjects.stream('messaging');
  /** Short, so a test can outlast it: a re-publish after it is stored again. */
  const DUPLICATE_WINDOW_MS = 500;
  const logs: string[] = [];
  const logger = { log: (m: string) => logs.push(`log ${m}`), warn: (m: string) => logs.push(`warn ${m}`), error: (m: string) => logs.push(`error ${m}`) };

  beforeAll(async () => {
    env = await createTestEnv();
    db = createDb({ url: env.databaseUrl, schema });
    await migrateToLatest(db, schema, eventStoreMigrations(schema, channel));
    nats = await connectNats(env.natsUrl, 'relay-robustness-test');
    subjects = new Subjects(env.prefix);
    await nats.jsm.streams.add({
      name: stream(),
      subjects: [subjects.serviceEvents('messaging')],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      duplicate_window: DUPLICATE_WINDOW_MS * 1_000_000,
    });
  });

  afterAll(async () => {
    await nats?.nc.close();
    await db?.destroy();
    await env?.dispose();
  });

  const user = (n: number) => newEvent('user.upserted', { userId: `u${n}`, name: `User ${n}`, portrait: null });
  /** Every relay a test starts is stopped after it, whatever the test's outcome. */
  const started: OutboxRelay[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((r) => r.stop()));
  });
  const relay = (extra: Partial<RelayOptions> = {}) => {
    const r = new OutboxRelay({
      databaseUrl: env.databaseUrl,
      schema,
      service: 'messaging',
      js: nats.js,
      jsm: nats.jsm,
      subjects,
      notifyChannel: channel,
      pollMs: 100,
      logger,
      ...extra,
    });
    started.push(r);
    return r;
  };
  const streamMessages = async () => (await nats.jsm.streams.info(stream())).state.messages;
  const envelopeAt = async (seq: number) => (await nats.jsm.streams.getMessage(stream(), { seq }))!.json<any>();
  const lastEnvelope = async () => envelopeAt((await nats.jsm.streams.info(stream())).state.last_seq);
  const lastPosition = async () => Number((await sql<{ p: number }>`SELECT max(global_position) AS p FROM events`.execute(db)).rows[0].p);
  const checkpoint = async () => Number((await db.selectFrom('relay_checkpoint').select('global_position').executeTakeFirstOrThrow()).global_position);
  /** The crash between publish and checkpoint save: the stream has the events, the table does not know. */
  const forgetCheckpoint = () => sql`UPDATE relay_checkpoint SET commit_seq = 0, global_position = 0`.execute(db);
  const outlastDuplicateWindow = () => new Promise((r) => setTimeout(r, DUPLICATE_WINDOW_MS * 3));
  const append = (streamId: string, events = [user(1)]) => db.transaction().execute((trx) => appendToStream(trx, streamId, 'any', events, new Date()));

  describe('a restart after the duplicate window', () => {
    it('is reconciled with the stream: nothing already there is published again', async () => {
      const first = relay();
      await first.start();
      await append('before-crash', [user(1), user(2), user(3)]);
      await eventually(async () => expect(await streamMessages()).toBe(3));
      await first.stop();
      // Messages that are not ours at the tail (any NATS client can publish there) are looked past.
      await nats.js.publish(subjects.event('messaging', 'user.upserted'), '{not json');
      const h = headers();
      h.set('Nats-Msg-Id', 'not-an-event-id');
      await nats.js.publish(subjects.event('messaging', 'user.upserted'), '{}', { headers: h });
      await forgetCheckpoint();
      await outlastDuplicateWindow();

      const next = relay();
      await next.start();
      await append('after-restart', [user(4)]);
      await eventually(async () => expect((await lastEnvelope()).subject).toBe('after-restart'));
      expect(await streamMessages()).toBe(3 + 2 + 1);
      expect(await checkpoint()).toBe(await lastPosition());
      expect(logs.some((l) => l.startsWith('log relay: the stream already holds events'))).toBe(true);
      await next.stop();
    });

    it('control: without reconciliation (no jsm) the same restart stores duplicates', async () => {
      const before = await streamMessages();
      await forgetCheckpoint();
      await outlastDuplicateWindow();
      const blind = relay({ jsm: undefined });
      await blind.start();
      const events = Number((await sql<{ n: number }>`SELECT count(*) AS n FROM events`.execute(db)).rows[0].n);
      await eventually(async () => expect(await checkpoint()).toBe(await lastPosition()));
      expect(await streamMessages()).toBe(before + events);
      await blind.stop();
    });
  });

  describe('an event too big to publish', () => {
    /** Written behind append's back (its size check would refuse it): stored before the limit existed, say. */
    const insertRaw = async (streamId: string, nameBytes: number): Promise<string> => {
      const { rows } = await sql<{ event_id: string }>`
        INSERT INTO events (event_id, stream_id, stream_version, type, data_version, data, occurred_at)
        VALUES (gen_random_uuid(), ${streamId}, 1, 'user.upserted', ${EVENTS['user.upserted'].version},
                jsonb_build_object('userId', ${streamId}::text, 'name', repeat('x', ${nameBytes}::int), 'portrait', null), now())
        RETURNING event_id`.execute(db);
      return rows[0].event_id;
    };

    it("over the connection's max_payload: a tombstone takes its place, in order, and later events flow", async () => {
      const r = relay();
      await r.start();
      await eventually(async () => expect(await checkpoint()).toBe(await lastPosition()));
      const before = (await nats.jsm.streams.info(stream())).state.last_seq;
      const maxPayload = nats.nc.info!.max_payload;
      const huge = await insertRaw('huge', maxPayload + 1000);
      await append('after-huge', [user(5)]);
      await eventually(async () => expect((await lastEnvelope()).subject).toBe('after-huge'));
      const tombstone = await envelopeAt(before + 1);
      expect(tombstone).toMatchObject({ id: huge, type: 'user.upserted', subject: 'huge', tooLarge: true, data: null });
      expect(tombstone.bytes).toBeGreaterThan(maxPayload);
      expect(logs.some((l) => l.startsWith('error') && l.includes(huge))).toBe(true);
      // The accepted write is kept where it was written.
      expect(await db.selectFrom('events').select('event_id').where('event_id', '=', huge).executeTakeFirst()).toBeDefined();
      await r.stop();
    });

    it("refused by the server (the stream's max_msg_size): a tombstone too, and the relay moves on", async () => {
      await nats.jsm.streams.update(stream(), { max_msg_size: 20_000 });
      const r = relay();
      try {
        await r.start();
        const refused = await insertRaw('refused', 50_000);
        await append('after-refused', [user(6)]);
        await eventually(async () => expect(await checkpoint()).toBe(await lastPosition()));
        const last = (await nats.jsm.streams.info(stream())).state.last_seq;
        const tail = [await envelopeAt(last - 1), await envelopeAt(last)];
        expect(tail.map((e) => e.subject).sort()).toEqual(['after-refused', 'refused']);
        expect(tail.find((e) => e.subject === 'refused')).toMatchObject({ id: refused, tooLarge: true });
      } finally {
        await r.stop();
        await nats.jsm.streams.update(stream(), { max_msg_size: -1 });
      }
    });
  });

  describe('a database connection that dies without closing', () => {
    it('is given up after the query deadline, and the relay leads again once the server ends the stale session', async () => {
      const target = new URL(env.databaseUrl);
      const proxy = await freezableProxy(target.hostname, Number(target.port || 5432));
      const viaProxy = new URL(env.databaseUrl);
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(proxy.port);
      const r = relay({ databaseUrl: viaProxy.toString(), queryTimeoutMs: 500 });
      try {
        await r.start();
        await append('before-freeze', [user(7)]);
        await eventually(async () => expect((await lastEnvelope()).subject).toBe('before-freeze'));

        const stalePorts = proxy.freeze();
        await eventually(async () => expect(logs.some((l) => l.startsWith('warn relay: dropping its database connection'))).toBe(true), 5_000);
        // The relay is back on a live connection, but the stale session still holds the lock
        // (through the frozen proxy the server cannot tell it is gone). The server's keepalive
        // ends such a session after ~25 s (connectionConfig); here we end it ourselves.
        await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE client_port = ANY(${stalePorts}::int[])`.execute(db);
        await append('after-freeze', [user(8)]);
        await eventually(async () => expect((await lastEnvelope()).subject).toBe('after-freeze'), 5_000);
      } finally {
        await r.stop();
        proxy.close();
      }
    });
  });
});

/**
 * A TCP proxy whose existing connections can be frozen: bytes stop flowing both ways and
 * nothing is closed, as when a network path dies. New connections still go through.
 */
async function freezableProxy(host: string, port: number) {
  const pairs: Array<{ client: Socket; upstream: Socket; frozen: boolean }> = [];
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    const pair = { client, upstream, frozen: false };
    pairs.push(pair);
    upstream.connect(port, host);
    client.pipe(upstream);
    upstream.pipe(client);
    const closeBoth = () => {
      if (pair.frozen) return;
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('error', closeBoth);
      s.on('close', closeBoth);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    /** Freezes every live connection; returns their local ports towards Postgres (pg_stat_activity.client_port). */
    freeze(): number[] {
      const live = pairs.filter((p) => !p.frozen && !p.upstream.destroyed);
      for (const p of live) {
        p.frozen = true;
        p.client.unpipe(p.upstream);
        p.upstream.unpipe(p.client);
        p.client.pause();
        p.upstream.pause();
      }
      return live.map((p) => p.upstream.localPort!);
    },
    close(): void {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      server.close();
    },
  };
}
