import { BeforeSendRequest } from '@im/contracts';
import { ApiClient, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { LOOPBACK_NETWORKS, Received, signatureValid } from '@im/stack';

/**
 * The before-send callback end to end: a local app server decides on each text by its words
 * (refuse, rewrite, answer too late, pass), and the gateway's answers and the history show
 * what was accepted. A refused message leaves nothing: a later message's arrival in history is
 * the sentinel before asserting the refused one is absent.
 */
describe('before-send callback e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let server: Server;
  let url: string;
  const secret = 'before-send-secret-0123456789';
  const asked: Received[] = [];
  const TIMEOUT_MS = 300;

  /** The app server's rules, keyed by the text's first word. */
  const decide = (text: string): { delayMs?: number; answer: unknown } => {
    if (text.startsWith('spam')) return { answer: { pass: false, code: 'SPAM' } };
    if (text.startsWith('rewrite')) return { answer: { pass: true, replace: { content: { content: 'rewritten by the app server' } } } };
    if (text.startsWith('broken')) return { answer: { pass: true, replace: { content: { content: 42 } } } };
    if (text.startsWith('slow')) return { delayMs: TIMEOUT_MS * 4, answer: { pass: false, code: 'TOO_LATE' } };
    return { answer: { pass: true } };
  };

  beforeAll(async () => {
    env = await createTestEnv();
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks), at: Date.now() };
        asked.push(r);
        const { delayMs, answer } = decide(String((JSON.parse(r.body.toString()) as BeforeSendRequest).content.content));
        setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer)), delayMs ?? 0);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/before-send`;
    stack = await startStack(env, { settings: { messaging: { beforeSendAllowedNetworks: LOOPBACK_NETWORKS } } });
    api = stack.api;
    for (const u of ['alice', 'bob']) await api.put(`/v1/users/${u}`, { name: u });
  });

  afterAll(async () => {
    await stack?.close();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await env?.dispose();
  });

  const configure = (onTimeout: 'allow' | 'reject') => api.put('/v1/callbacks/before-send', { url, secret, timeoutMs: TIMEOUT_MS, onTimeout, objectNames: ['RC:TxtMsg'] });
  const history = async () => ((await api.get('/v1/conversations/1/bob/messages', { as: 'alice' })).body.messages as Array<{ messageUId: string; content: { content: string } }>) ?? [];
  /** Waits until the message is in history (the sentinel), then returns the texts there. */
  const textsOnceStored = async (messageUId: string) =>
    eventually(async () => {
      const ms = await history();
      expect(ms.map((m) => m.messageUId)).toContain(messageUId);
      return ms.map((m) => m.content.content);
    });

  it('is the server key only, and refuses a bad url, timeout or policy before storing anything', async () => {
    const token = (await api.post('/v1/users/alice/token')).body.token as string;
    const ok = { url, secret, timeoutMs: TIMEOUT_MS, onTimeout: 'allow' };
    expect((await api.put('/v1/callbacks/before-send', ok, { token })).status).toBe(403);
    const refused = await api.put('/v1/callbacks/before-send', { ...ok, url: 'http://192.168.7.7/check' });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'OUTBOUND_ADDRESS_REFUSED', details: [{ path: 'url', url: 'http://192.168.7.7/check' }] });
    expect((await api.put('/v1/callbacks/before-send', { ...ok, timeoutMs: 50 })).status).toBe(400);
    expect((await api.put('/v1/callbacks/before-send', { ...ok, timeoutMs: 60_000 })).status).toBe(400);
    expect((await api.put('/v1/callbacks/before-send', { ...ok, onTimeout: 'maybe' })).status).toBe(400);
    expect((await api.put('/v1/callbacks/before-send', { ...ok, secret: 'short' })).status).toBe(400);
    expect((await api.get('/v1/callbacks')).body.beforeSend).toBeNull();
    // Unconfigured, a send asks nobody.
    expect((await api.sendText('alice', 1, 'bob', 'spam before any callback')).status).toBe(201);
    expect(asked).toHaveLength(0);
  });

  it('refuses a message the app server rejects (nothing stored) and asks signed', async () => {
    const set = await configure('allow');
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ url, timeoutMs: TIMEOUT_MS, onTimeout: 'allow', objectNames: ['RC:TxtMsg'] });
    expect((await api.get('/v1/callbacks')).body.beforeSend).toEqual(set.body);

    const rejected = await api.sendText('alice', 1, 'bob', 'spam spam spam');
    expect(rejected.status).toBe(422);
    expect(rejected.body.error).toMatchObject({ code: 'REJECTED_BY_APP_SERVER', details: { code: 'SPAM' } });
    const request = JSON.parse(asked[asked.length - 1].body.toString()) as BeforeSendRequest;
    expect(request).toEqual({ conversationType: 1, targetId: 'bob', senderId: 'alice', objectName: 'RC:TxtMsg', content: { content: 'spam spam spam' } });
    expect(signatureValid(asked[asked.length - 1], secret)).toBe(true);

    const after = await api.sendText('alice', 1, 'bob', 'a fine message');
    expect(after.status).toBe(201);
    const texts = await textsOnceStored(after.body.messageUId);
    expect(texts).toContain('a fine message');
    expect(texts).not.toContain('spam spam spam');
  });

  it('stores the replacement the app server answers with, and refuses an invalid one', async () => {
    const rewritten = await api.sendText('alice', 1, 'bob', 'rewrite this please');
    expect(rewritten.status).toBe(201);
    const texts = await textsOnceStored(rewritten.body.messageUId);
    expect(texts).toContain('rewritten by the app server');
    expect(texts).not.toContain('rewrite this please');

    const broken = await api.sendText('alice', 1, 'bob', 'broken replacement');
    expect(broken.status).toBe(422);
    expect(broken.body.error.code).toBe('APP_SERVER_REPLACEMENT_INVALID');
  });

  it('asks only about the types it names', async () => {
    const before = asked.length;
    const cmd = await api.post('/v1/messages', { conversationType: 1, targetId: 'bob', objectName: 'RC:CmdMsg', content: { name: 'spam', data: 'x' } }, { as: 'alice' });
    expect(cmd.status).toBe(201);
    expect(asked.length).toBe(before);
  });

  it('on timeout with onTimeout allow, accepts the original', async () => {
    const started = Date.now();
    const slow = await api.sendText('alice', 1, 'bob', 'slow but allowed');
    expect(slow.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(await textsOnceStored(slow.body.messageUId)).toContain('slow but allowed');
  });

  it('on timeout with onTimeout reject, refuses with 503 and stores nothing', async () => {
    expect((await configure('reject')).status).toBe(200);
    const slow = await api.sendText('alice', 1, 'bob', 'slow and refused');
    expect(slow.status).toBe(503);
    expect(slow.body.error.code).toBe('APP_SERVER_UNAVAILABLE');
    const after = await api.sendText('alice', 1, 'bob', 'fine again');
    expect(after.status).toBe(201);
    const texts = await textsOnceStored(after.body.messageUId);
    expect(texts).not.toContain('slow and refused');
  });

  it('is removed with DELETE: sends are no longer asked about', async () => {
    expect((await api.delete('/v1/callbacks/before-send')).body).toEqual({ removed: true });
    expect((await api.delete('/v1/callbacks/before-send')).status).toBe(404);
    const before = asked.length;
    expect((await api.sendText('alice', 1, 'bob', 'spam after removal')).status).toBe(201);
    expect(asked.length).toBe(before);
  });
});
