import { randomUUID } from 'node:crypto';
import { jetstream, JetStreamClient } from '@nats-io/jetstream';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { listParked } from '@im/eventstore';
import { DB } from '@im/service-kit';
import { ApiClient, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';
import { Kysely } from 'kysely';
import { parkedCommand } from '../../../tools/parked';

/**
 * Garbage on messaging's event subject, as any NATS client could publish it, and an envelope of
 * a known type whose data the conversations projection cannot take: both are parked, logged and
 * counted, and the next real message still reaches the recipient's conversation list. The
 * operator sees them in `npm run parked -- list` and in GET /health, and can retry or drop them.
 */
describe('poison on an event subject', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let db: Kysely<any>;
  const subject = () => `${env.prefix}.events.messaging.message.sent`;
  const stream = () => `${env.prefix}_MESSAGING`.toUpperCase();
  const config = () => ({ databaseUrl: env.databaseUrl, natsUrl: env.natsUrl, subjectPrefix: env.prefix });
  const parked = () => listParked(db, { projection: 'conversations', stream: stream() });

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { only: ['messaging'] });
    api = stack.api;
    db = stack.services.get('messaging')!.get(DB);
    nc = await connect({ servers: env.natsUrl });
    js = jetstream(nc);
    for (const id of ['alice', 'bob']) expect((await api.put(`/v1/users/${id}`, { name: id })).status).toBe(200);
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
    await env?.dispose();
  });

  let garbageSeq: number;
  let shapelessSeq: number;

  it('parks the poison and lets a later message through', async () => {
    garbageSeq = (await js.publish(subject(), '{not json')).seq;
    const shapeless = {
      specversion: '1.0',
      id: randomUUID(),
      type: 'message.sent',
      source: 'im/messaging',
      subject: 'forged',
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      dataversion: 1,
      position: '0',
      // Persisted and with a seq, so the projection writes it, but without a conversation.
      data: { isPersisted: true, seq: 1, senderId: 'alice' },
    };
    shapelessSeq = (await js.publish(subject(), JSON.stringify(shapeless))).seq;

    expect((await api.sendText('alice', 1, 'bob', 'after the poison')).status).toBe(201);
    await eventually(async () => {
      const list = (await api.get('/v1/conversations', { as: 'bob' })).body.conversations;
      expect(list.find((c: { targetId: string }) => c.targetId === 'alice')?.lastMessage?.content).toEqual({ content: 'after the poison' });
    });

    const rows = await parked();
    expect(rows.map((r) => [r.stream_sequence, r.kind])).toEqual([
      [garbageSeq, 'poison'],
      [shapelessSeq, 'poison'],
    ]);
    expect(rows[0]).toMatchObject({ subject: subject(), event_id: null });
    expect(rows[0].payload!.toString()).toBe('{not json');
    expect(rows[0].error).toMatch(/^not JSON/);
    expect(rows[1]).toMatchObject({ event_id: shapeless.id, event_type: 'message.sent' });
    expect(rows[1].error).toMatch(/^postgres 23502/);
  });

  it('shows them in `npm run parked -- list` and in GET /health', async () => {
    const { code, lines } = await parkedCommand(['list', 'messaging'], config());
    expect(code).toBe(0);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^messaging:\\d+ conversations ${stream()} #${garbageSeq} .*not JSON.*payload "\\{not json"$`));
    expect(lines[1]).toMatch(new RegExp(`^messaging:\\d+ conversations ${stream()} #${shapelessSeq} message.sent .*postgres 23502`));

    const health = await eventually(async () => {
      const res = await api.get('/health', { anonymous: true });
      const conversations = res.body.consumers.messaging.find((c: { projection: string; stream: string }) => c.projection === 'conversations' && c.stream === stream());
      expect(conversations).toMatchObject({ parked: 2, gaps: 0, lag: 0, secondsBehind: 0 });
      return res;
    });
    // Only messaging runs here: the others are down, and so is readiness; the fields stay as they were.
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'unavailable', nats: 'ok', services: { messaging: 'ok', push: 'down' }, consumers: { push: null } });
  });

  it('retries one (it fails the same way again and comes back) and drops the other', async () => {
    const [garbage, shapeless] = await parked();
    const retried = await parkedCommand(['retry', `messaging:${shapeless.id}`], config());
    expect(retried.code).toBe(0);
    expect(retried.lines[1]).toMatch(/^queued/);
    await eventually(async () => expect((await parked()).find((r) => r.id === shapeless.id)).toMatchObject({ attempts: 2, retry_requested_at: null }), 15_000);

    expect((await parkedCommand(['drop', `messaging:${garbage.id}`], config())).code).toBe(0);
    expect((await parked()).map((r) => r.id)).toEqual([shapeless.id]);
    expect(await parkedCommand(['drop', `messaging:${garbage.id}`], config())).toEqual({ code: 1, lines: [`no parked event #${garbage.id}`] });
    expect((await parkedCommand(['retry', 'nowhere:1'], config())).code).toBe(2);

    // And messages still flow.
    expect((await api.sendText('bob', 1, 'alice', 'still here')).status).toBe(201);
    await eventually(async () => {
      const list = (await api.get('/v1/conversations', { as: 'alice' })).body.conversations;
      expect(list.find((c: { targetId: string }) => c.targetId === 'bob')?.lastMessage?.content).toEqual({ content: 'still here' });
    });
  });
});
