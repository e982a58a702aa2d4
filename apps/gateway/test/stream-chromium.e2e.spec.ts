import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Browser, chromium, Page } from 'playwright-core';
import { ApiClient, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';

/** Debian's package (`apt-get install chromium`, as `.ci/run` does). Missing, this test fails: it is not skipped. */
const CHROMIUM = '/usr/bin/chromium';

/**
 * A web app in real headless Chromium, served from another origin than the gateway: it gets a
 * stream ticket with fetch (CORS) and receives a message through EventSource, which cannot send
 * an Authorization header.
 */
const PAGE = `<!doctype html><meta charset="utf-8"><title>im</title><script>
const q = new URLSearchParams(location.search);
const api = q.get('api');
window.got = []; window.events = []; window.errors = [];
(async () => {
  const res = await fetch(api + '/v1/stream/tickets', {
    method: 'POST',
    headers: { authorization: 'Bearer ' + q.get('token'), 'content-type': 'application/json' },
    body: JSON.stringify({ deviceId: 'chromium' }),
  });
  if (res.status !== 201) throw new Error('ticket: ' + res.status);
  const { ticket } = await res.json();
  const es = new EventSource(api + '/v1/stream?ticket=' + encodeURIComponent(ticket));
  es.onopen = () => { window.opened = true; };
  es.onerror = () => window.errors.push('eventsource error, readyState ' + es.readyState);
  for (const type of ['resync', 'replaced', 'shutdown']) es.addEventListener(type, () => window.events.push(type));
  es.addEventListener('message.sent', (e) => window.got.push({ id: e.lastEventId, envelope: JSON.parse(e.data) }));
})().catch((e) => window.errors.push(String(e)));
</script>`;

describe('browser stream in Chromium e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let site: Server;
  let siteOrigin: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    site = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE));
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    process.env.CORS_ORIGINS = siteOrigin;
    env = await createTestEnv();
    stack = await startStack(env);
    api = stack.api;
    for (const id of ['web-ann', 'web-bob']) await api.put(`/v1/users/${id}`, { name: id });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage();
  }, 60_000);

  afterAll(async () => {
    delete process.env.CORS_ORIGINS;
    await browser?.close();
    await new Promise((r) => site?.close(r));
    await stack?.close();
    await env?.dispose();
  });

  it('gets a ticket across origins and receives a message through EventSource', async () => {
    const token = (await api.post('/v1/users/web-bob/token')).body.token;
    expect(new URL(api.baseUrl).origin).not.toBe(siteOrigin);
    await page.goto(`${siteOrigin}/?api=${encodeURIComponent(api.baseUrl)}&token=${encodeURIComponent(token)}`);
    await page.waitForFunction(() => (globalThis as any).opened === true || (globalThis as any).errors.length > 0, undefined, { timeout: 15_000 });
    expect(await page.evaluate(() => (globalThis as any).errors)).toEqual([]);

    const sent: string[] = [];
    // The push service hears of the new stream from the gateway's presence announcement.
    await eventually(async () => {
      sent.push((await api.sendText('web-ann', 1, 'web-bob', 'hello, browser')).body.messageUId);
      await page.waitForFunction(() => (globalThis as any).got.length > 0, undefined, { timeout: 1_000 });
    }, 20_000);
    const got: Array<{ id: string; envelope: any }> = await page.evaluate(() => (globalThis as any).got);
    expect(sent).toContain(got[0].envelope.data.messageUId);
    expect(got[0].envelope).toMatchObject({ type: 'message.sent', data: { senderId: 'web-ann', content: { content: 'hello, browser' } } });
    expect(Number(got[0].id)).toBeGreaterThan(0);
    expect(await page.evaluate(() => (globalThis as any).errors)).toEqual([]);
  }, 60_000);
});
