import { join } from 'node:path';
import { INTERNAL_RPC, SERVICES, Subjects } from '@im/contracts';
import { connect, NatsConnection, PermissionViolationError } from '@nats-io/transport-node';
import { createTestEnv, eventually, SseClient, startNatsServer, startStack, OwnNatsServer, TestEnv, TestStack } from '@im/stack';
import { connectNats, NatsAuth, natsAuthOptions } from './nats';

/**
 * deploy/nats/nats.conf, the file docker-compose.yml mounts, on a nats-server of this test's own:
 * who may connect, publish and subscribe where, and that the services and the gateway work with
 * exactly those permissions (a send end to end, a red packet, whose message expansions sends
 * through messaging's internal subject, and the real-time stream).
 */
const CONFIG = join(__dirname, '../../../deploy/nats/nats.conf');
const USERS = ['gateway', ...SERVICES, 'observer'] as const;
type User = (typeof USERS)[number];
const PASSWORDS = Object.fromEntries(USERS.map((u) => [u, `test-${u}-password`])) as Record<User, string>;
const SERVER_ENV = Object.fromEntries(USERS.map((u) => [`NATS_${u.toUpperCase()}_PASSWORD`, PASSWORDS[u]]));
const subjects = new Subjects('im');
const auth = (user: User): NatsAuth => ({ user, pass: PASSWORDS[user] });

/** A connection that records every permission violation the server reports to it. */
interface Probe {
  nc: NatsConnection;
  violations: PermissionViolationError[];
}

/** Core NATS only (connectNats would ask JetStream for account info, which the observer may not). */
async function probe(url: string, user: User): Promise<Probe> {
  const nc = await connect({ servers: url, name: `probe-${user}`, ...natsAuthOptions(auth(user)) });
  const violations: PermissionViolationError[] = [];
  void (async () => {
    for await (const s of nc.status()) if (s.type === 'error' && s.error instanceof PermissionViolationError) violations.push(s.error);
  })();
  return { nc, violations };
}

/**
 * Whether the server let `user` publish on `subject`: its -ERR for a refused publish arrives
 * before the PONG of the flush that follows (one connection, in order).
 */
async function mayPublish(p: Probe, subject: string): Promise<boolean> {
  p.nc.publish(subject, '{}');
  await settled(p);
  return !p.violations.some((v) => v.operation === 'publish' && v.subject === subject);
}

/** After the server answered a PING, and the status iterator has passed on what came before it. */
async function settled(p: Probe): Promise<void> {
  await p.nc.flush();
  await new Promise((r) => setImmediate(r));
}

async function maySubscribe(p: Probe, subject: string): Promise<boolean> {
  const sub = p.nc.subscribe(subject);
  await settled(p);
  const refused = p.violations.some((v) => v.operation === 'subscription' && v.subject === subject);
  if (!refused) sub.unsubscribe();
  return !refused;
}

describe('NATS accounts (deploy/nats/nats.conf)', () => {
  let server: OwnNatsServer;
  const probes = {} as Record<User, Probe>;

  beforeAll(async () => {
    server = await startNatsServer(CONFIG, SERVER_ENV);
    for (const u of USERS) probes[u] = await probe(server.url, u);
  });

  afterAll(async () => {
    for (const p of Object.values(probes)) await p?.nc.close().catch(() => undefined);
    await server?.stop();
  });

  it('refuses an anonymous client and a wrong password', async () => {
    await expect(connectNats(server.url, 'anonymous', undefined)).rejects.toThrow(/authorization/i);
    await expect(connectNats(server.url, 'wrong', { user: 'gateway', pass: 'not-it' })).rejects.toThrow(/authorization/i);
  });

  it('lets the observer read every event and publish nothing: no event, no RPC, no internal call, no presence', async () => {
    const observer = probes.observer;
    const seen: string[] = [];
    observer.nc.subscribe('im.events.>', { callback: (_e, m) => void seen.push(m.subject) });
    await observer.nc.flush();
    probes.messaging.nc.publish('im.events.messaging.message.sent', '{}');
    await probes.messaging.nc.flush();
    await expect(until(() => seen.includes('im.events.messaging.message.sent'))).resolves.toBe(true);

    for (const subject of ['im.events.expansions.redpacket.claimed', 'im.rpc.messaging.messages.send', 'im.internal.messaging.messages.send', 'im.presence']) {
      expect([subject, await mayPublish(observer, subject)]).toEqual([subject, false]);
    }
    // Nor read what is not an event: deliveries, presence, anyone's requests or replies.
    for (const subject of ['im.deliver.*', 'im.live.*', 'im.presence', 'im.rpc.>', '_INBOX.>']) {
      expect([subject, await maySubscribe(observer, subject)]).toEqual([subject, false]);
    }
    const call = observer.nc.request('im.rpc.messaging.users.get', '{}', { timeout: 2000 });
    await expect(call).rejects.toThrow();
  });

  it('lets each service publish its own events only', async () => {
    for (const user of USERS) {
      for (const owner of SERVICES) {
        const subject = subjects.event(owner, 'any.thing');
        expect([user, subject, await mayPublish(probes[user], subject)]).toEqual([user, subject, user === owner]);
      }
    }
  });

  it('lets only the gateway call a service on its RPC subjects, and each service answer only its own', async () => {
    for (const user of USERS) {
      for (const service of SERVICES) {
        const rpc = subjects.rpc(service, 'messages.send');
        expect([user, rpc, await mayPublish(probes[user], rpc)]).toEqual([user, rpc, user === 'gateway']);
        const answer = `im.rpc.${service}.>`;
        expect([user, answer, await maySubscribe(probes[user], answer)]).toEqual([user, answer, user === service]);
        const internal = `im.internal.${service}.>`;
        expect([user, internal, await maySubscribe(probes[user], internal)]).toEqual([user, internal, user === service]);
      }
    }
  });

  it('lets exactly the callers INTERNAL_RPC lists publish each internal method', async () => {
    for (const service of SERVICES) {
      for (const [method, callers] of Object.entries(INTERNAL_RPC[service]) as [string, readonly string[]][]) {
        const subject = subjects.internal(service, method);
        for (const user of USERS) expect([user, subject, await mayPublish(probes[user], subject)]).toEqual([user, subject, callers.includes(user)]);
      }
    }
  });

  it('lets only gateways announce presence, and only push deliver to users', async () => {
    for (const user of USERS) {
      expect([user, 'presence', await mayPublish(probes[user], subjects.presence())]).toEqual([user, 'presence', user === 'gateway']);
      expect([user, 'deliver', await mayPublish(probes[user], subjects.deliver('bob'))]).toEqual([user, 'deliver', user === 'push']);
      expect([user, 'live', await mayPublish(probes[user], subjects.live('bob'))]).toEqual([user, 'live', user === 'push']);
    }
  });

  it("keeps each user's inbox its own: no one reads another's replies", async () => {
    for (const user of USERS) {
      for (const other of USERS) {
        if (other === 'observer' && user === 'observer') continue; // the observer has no inbox at all
        const inbox = `_INBOX.${other}.>`;
        expect([user, inbox, await maySubscribe(probes[user], inbox)]).toEqual([user, inbox, user === other]);
      }
    }
  });

  describe('the stack, each app with its own user', () => {
    let env: TestEnv;
    let stack: TestStack;

    beforeAll(async () => {
      const own = await createTestEnv();
      // The database of this test file, the NATS server above, the prefix its config is written for.
      env = { ...own, natsUrl: server.url, prefix: 'im' };
      const natsAuth = Object.fromEntries(['gateway', ...SERVICES].map((u) => [u, auth(u as User)]));
      stack = await startStack(env, { natsAuth });
    });

    afterAll(async () => {
      await stack?.close();
      await env?.dispose();
    });

    it('boots, answers /health, sends through the gateway end to end, and the observer sees the event', async () => {
      const events: string[] = [];
      probes.observer.nc.subscribe('im.events.messaging.message.sent', { callback: (_e, m) => void events.push(m.json<{ data: { messageUId: string } }>().data.messageUId) });
      expect((await stack.api.get('/health')).status).toBe(200);
      for (const u of ['alice', 'bob']) expect((await stack.api.put(`/v1/users/${u}`, { name: u })).status).toBe(200);
      const token = (await stack.api.post('/v1/users/bob/token')).body.token;
      // Through a one-time ticket: the gateway's ticket stream works under its permissions too.
      const ticket = await stack.api.post('/v1/stream/tickets', { deviceId: 'phone' }, { token });
      expect(ticket.status).toBe(201);
      const bob = new SseClient(`${stack.api.baseUrl}/v1/stream?ticket=${ticket.body.ticket}`, {});
      await bob.open();
      try {
        const sent = await stack.api.sendText('alice', 1, 'bob', 'hi over accounts');
        expect(sent.status).toBe(201);
        // Bob is new to push, so his stream may start with resync (marked on his delivery subject).
        await eventually(async () => expect(bob.events.filter((e) => e.event !== 'resync').length).toBeGreaterThan(0));
        const arrived = bob.events.filter((e) => e.event !== 'resync')[0];
        expect([arrived.event, arrived.data.data.messageUId]).toEqual(['message.sent', sent.body.messageUId]);
        // Bob is not the writer: his history has it once the conversations projection applied it.
        await eventually(async () => {
          const history = await stack.api.get('/v1/conversations/1/alice/messages', { as: 'bob' });
          expect(history.body.messages.map((m: { messageUId: string }) => m.messageUId)).toEqual([sent.body.messageUId]);
        });
        await expect(until(() => events.includes(sent.body.messageUId))).resolves.toBe(true);
      } finally {
        bob.close();
      }
    });

    it('creates a red packet: expansions sends its message through messaging internal subject', async () => {
      // With an Idempotency-Key: the gateway's bucket (im.idempotency.*, IM_IDEMPOTENCY) works too.
      const body = { conversationType: 1, targetId: 'bob', totalAmount: 100, count: 1, mode: 'fixed', currency: 'CNY' };
      const create = () => stack.api.post('/v1/red-packets', body, { as: 'alice', headers: { 'idempotency-key': 'pay-accounts' } });
      const created = await create();
      expect(created.status).toBe(201);
      const again = await create();
      expect([again.status, again.body, again.headers.get('idempotent-replayed')]).toEqual([201, created.body, 'true']);
      const message = await eventually(async () => {
        const history = await stack.api.get('/v1/conversations/1/alice/messages', { as: 'bob' });
        const found = history.body.messages.find((m: { messageUId: string }) => m.messageUId === created.body.messageUId);
        if (!found) throw new Error('the red packet message is not in bob\'s history yet');
        return found;
      });
      expect(message).toMatchObject({ senderId: 'alice', objectName: 'app:red_packet' });
    });

    it('ran without a single permission violation by the apps (the server logs each with the connection name)', async () => {
      await stack.api.get('/health');
      const violations = server.log().split('\n').filter((line) => /Violation/.test(line) && /"[^"]*:im-[a-z]+"/.test(line));
      expect(violations).toEqual([]);
      expect(server.log()).toMatch(/probe-observer.*Violation/); // the log does show them: the probes made some
    });
  });
});

/** Waits (up to 5 s) for something another connection causes; resolves false if it never happens. */
async function until(check: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
