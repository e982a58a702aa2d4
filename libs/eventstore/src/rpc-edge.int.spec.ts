import { randomBytes } from 'node:crypto';
import { Subjects } from '@im/contracts';
import { createDb } from '@im/db';
import { createTestEnv, TestEnv } from '@im/testing';
import { Kysely, sql } from 'kysely';
import { connectNats, Nats } from './nats';
import { RpcClient, RpcHandlers, RpcServer } from './rpc';

/**
 * The RPC edge against real Postgres and NATS (issue 11): errors the database raises because of
 * the input are 4xx, a reply too big for one NATS message is REPLY_TOO_LARGE, a reply that is not
 * JSON is a 500, a request with NUL is a 400, and the server answers the next request every time.
 */
describe('RPC edge', () => {
  let env: TestEnv;
  let db: Kysely<any>;
  let nats: Nats;
  let server: RpcServer<'messaging'>;
  let client: RpcClient;

  const probes: Record<string, () => Promise<unknown>> = {
    // 22P05: jsonb cannot hold \u0000.
    'probe.jsonbNul': () => sql`INSERT INTO probe (j) VALUES (${JSON.stringify({ a: '\u0000' })}::jsonb)`.execute(db),
    // 22021: a byte sequence that is not text in the database's encoding.
    'probe.badBytes': () => sql`SELECT convert_from('\\x00'::bytea, 'UTF8')`.execute(db),
    // 22001: longer than the column allows.
    'probe.tooLong': () => sql`INSERT INTO probe (short) VALUES ('far too long')`.execute(db),
    // 54000: an index row past btree's limit (random, so it does not compress below it).
    'probe.indexRow': () => sql`INSERT INTO probe (k) VALUES (${randomBytes(6000).toString('hex')})`.execute(db),
    'probe.bigReply': async () => 'x'.repeat(2 * 1024 * 1024),
    'probe.notJson': async () => ({ n: BigInt(1) }),
    'probe.ok': async () => 'ok',
    'probe.slow': () => new Promise((resolve) => setTimeout(() => resolve('late'), 400)),
  };
  // Echoes what it was sent, after a random pause: replies come back out of order.
  const echo = (payload: unknown) => new Promise((resolve) => setTimeout(() => resolve(payload), Math.random() * 20));

  beforeAll(async () => {
    env = await createTestEnv();
    db = createDb({ url: env.databaseUrl, schema: 'public' });
    await sql`CREATE TABLE probe (j jsonb, short varchar(4), k text)`.execute(db);
    await sql`CREATE INDEX probe_k ON probe (k)`.execute(db);
    nats = await connectNats(env.natsUrl, 'rpc-edge-test');
    const subjects = new Subjects(env.prefix);
    server = new RpcServer(nats.nc, subjects, 'messaging');
    server.listen({} as RpcHandlers<'messaging'>, probes);
    nats.nc.subscribe(subjects.rpc('messaging', 'probe.echo'), {
      callback: (_e, msg) => void echo(msg.json()).then((p) => msg.respond(JSON.stringify({ ok: true, result: p }))),
    });
    client = new RpcClient(nats.nc, subjects, 5000);
  });

  afterAll(async () => {
    await server?.close();
    await nats?.nc.close();
    await db?.destroy();
    await env?.dispose();
  });

  const call = (method: string, req: unknown = {}) => client.raw('messaging', method, req).catch((e) => e);

  it.each([
    ['probe.jsonbNul', 400, 'VALIDATION_FAILED'],
    ['probe.badBytes', 400, 'VALIDATION_FAILED'],
    ['probe.tooLong', 413, 'CONTENT_TOO_LARGE'],
    ['probe.indexRow', 413, 'CONTENT_TOO_LARGE'],
  ])('answers %s, a database error caused by input, with %i', async (method, status, code) => {
    expect(await call(method)).toMatchObject({ status, code });
    expect(await call('probe.ok')).toBe('ok');
  });

  it('answers a reply over max_payload with REPLY_TOO_LARGE, and a reply that is not JSON with a 500', async () => {
    expect(await call('probe.bigReply')).toMatchObject({ status: 413, code: 'REPLY_TOO_LARGE', details: { limit: nats.nc.info!.max_payload } });
    expect(await call('probe.notJson')).toMatchObject({ status: 500, code: 'INTERNAL' });
    expect(await call('probe.ok')).toBe('ok');
  });

  it('refuses NUL and lone surrogates in a request (400 naming the field), and a request over max_payload (413) before sending it', async () => {
    expect(await call('probe.ok', { body: { name: 'a\u0000' } })).toMatchObject({ status: 400, details: [{ path: 'body.name' }] });
    expect(await call('probe.ok', { list: ['ok', '\udc00'] })).toMatchObject({ status: 400, details: [{ path: 'list.1' }] });
    expect(await call('probe.ok', { big: 'x'.repeat(2 * 1024 * 1024) })).toMatchObject({ status: 413, code: 'CONTENT_TOO_LARGE', details: { field: 'request' } });
    expect(await call('probe.ok')).toBe('ok');
  });

  it('gives each of many concurrent calls its own reply, answered out of order', async () => {
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => call('probe.echo', { i })));
    expect(replies).toEqual(Array.from({ length: 200 }, (_, i) => ({ i })));
  });

  it('answers a method nobody listens on with 503 at once, and a call past its timeout with 503 after it', async () => {
    const started = Date.now();
    expect(await call('probe.nobody')).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('no responders') });
    expect(Date.now() - started).toBeLessThan(1000);
    const t0 = Date.now();
    const late = await client.raw('messaging', 'probe.slow', {}, 100).catch((e) => e);
    expect(late).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', message: 'messaging did not answer (timeout)' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    expect(Date.now() - t0).toBeLessThan(400);
    // The late reply arrives after the timeout and is dropped; the next call is answered.
    await new Promise((r) => setTimeout(r, 400));
    expect(await call('probe.ok')).toBe('ok');
  });
});
