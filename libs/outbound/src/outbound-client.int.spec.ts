import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { AddressPolicy } from './address-policy';
import { OutboundClient, OutboundOptions } from './outbound-client';
import { OutboundError } from './outbound-error';

/** The engine against real sockets on loopback (allowed by name here, as a self-hosted receiver would be). */
describe('outbound client', () => {
  const servers: Server[] = [];
  const open: ServerResponse[] = [];
  const clients: OutboundClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const r of open.splice(0)) r.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  const serve = async (handle: (res: ServerResponse, headers: IncomingHttpHeaders) => void): Promise<string> => {
    const server = createServer((req, res) => {
      open.push(res);
      req.resume();
      req.on('end', () => handle(res, req.headers));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const client = (o: Partial<OutboundOptions> = {}) => {
    const c = new OutboundClient({ policy: new AddressPolicy(['127.0.0.0/8']), deadlineMs: 600, maxResponseBytes: 1024, perHostConcurrency: 2, concurrency: 8, ...o });
    clients.push(c);
    return c;
  };
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (e: OutboundError) => ({ kind: e.kind, message: e.message }),
    );
  /** A receiver that answers 200 at once and then sends a byte every 100 ms, forever. */
  const trickler = () =>
    serve((res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const t = setInterval(() => res.write('.'), 100);
      res.on('close', () => clearInterval(t));
    });

  it('abandons a trickling answer at the deadline, though bytes keep coming', async () => {
    const url = await trickler();
    const started = Date.now();
    expect(await failure(client().post(url, {}, 'x'))).toEqual({ kind: 'deadline', message: 'timeout: no complete answer within 600 ms' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(590);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('keeps at most the cap of a huge answer and stops reading', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let written = 0;
    const url = await serve((res) => {
      res.writeHead(200);
      const more = () => {
        while (written < 512 * 1024 * 1024 && res.write(chunk)) written += chunk.length;
        if (written < 512 * 1024 * 1024) res.once('drain', more);
        else res.end();
      };
      more();
    });
    const out = await client({ deadlineMs: 5000 }).post(url, {}, 'x');
    expect(out).toMatchObject({ status: 200, truncated: true });
    expect(out.body.length).toBe(1024);
    expect(written).toBeLessThan(16 * 1024 * 1024);
  });

  it('gives a slow origin its own slots: another origin is answered while they are taken', async () => {
    const slow = await trickler();
    const fast = await serve((res) => res.writeHead(204).end());
    const c = client({ deadlineMs: 800, perHostConcurrency: 2, perHostQueue: 3, concurrency: 4 });
    const stuck = Array.from({ length: 6 }, () => failure(c.post(slow, {}, 'x')));
    // Two in flight, three waiting: the sixth is turned away at once, unsent.
    expect(await stuck[5]).toEqual({ kind: 'busy', message: `${slow} is busy: 2 in flight and 3 waiting` });
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    expect((await c.post(fast, {}, 'x')).status).toBe(204);
    expect(Date.now() - started).toBeLessThan(300);
    // Two were in flight; three waited for a slot of the slow origin and gave up at the same
    // deadline. Waiting, they held none of the four shared slots, so the fast origin had two.
    const outcomes = await Promise.all(stuck.slice(0, 5));
    expect(outcomes.map((o) => o?.kind)).toEqual(Array(5).fill('deadline'));
  });

  it('connects to the address it checked, keeping the name as Host', async () => {
    let host: string | undefined;
    const url = await serve((res, headers) => {
      host = headers.host;
      res.writeHead(200).end('ok');
    });
    const port = new URL(url).port;
    const c = client({ resolve: async () => ['127.0.0.1'] });
    const out = await c.post(`http://receiver.test:${port}/hook`, {}, 'x');
    expect(out).toEqual({ status: 200, body: Buffer.from('ok'), truncated: false });
    expect(host).toBe(`receiver.test:${port}`);
  });

  it('refuses at connect time a name that now resolves to an internal address (DNS rebinding)', async () => {
    let answered = 0;
    const url = await serve((res) => {
      answered += 1;
      res.writeHead(200).end();
    });
    const port = new URL(url).port;
    const answers = [['93.184.215.14'], ['127.0.0.1']];
    const c = new OutboundClient({ policy: new AddressPolicy(), deadlineMs: 1000, maxResponseBytes: 1024, perHostConcurrency: 2, concurrency: 2, resolve: async () => answers.shift()! });
    clients.push(c);
    await c.check(`http://rebind.test:${port}/`);
    expect(await failure(c.post(`http://rebind.test:${port}/`, {}, 'x'))).toEqual({ kind: 'refused', message: 'OUTBOUND_ADDRESS_REFUSED: 127.0.0.1 is loopback' });
    expect(await failure(client({ policy: new AddressPolicy() }).post(url, {}, 'x'))).toEqual({ kind: 'refused', message: 'OUTBOUND_ADDRESS_REFUSED: 127.0.0.1 is loopback' });
    expect(answered).toBe(0);
  });
});
