import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { AddressInfo, createServer, Server } from 'node:net';
import { join } from 'node:path';

const root = join(__dirname, '../../..');
const APPS = ['gateway', 'messaging', 'expansions', 'receipts', 'push'] as const;
type App = (typeof APPS)[number];
const strong = (c: string) => c.repeat(40);

/**
 * The real entry points, spawned as the image runs them, with a bad configuration: each exits 78
 * with one line on stderr naming the variable, and nothing connected to Postgres or NATS (both
 * point at a listener that counts connections; the last test shows it does count them).
 */
describe('an app with a bad configuration refuses to start', () => {
  let listener: Server;
  let connections = 0;
  let base: NodeJS.ProcessEnv;

  beforeAll(async () => {
    listener = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    const { port } = listener.address() as AddressInfo;
    base = {
      PATH: process.env.PATH,
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/im`,
      NATS_URL: `nats://127.0.0.1:${port}`,
      NODE_ENV: 'production',
      IM_API_KEY: strong('k'),
      IM_TOKEN_SECRET: strong('t'),
      PORT: '0',
      HOST: '127.0.0.1',
    };
  });

  afterAll(() => new Promise((resolve) => listener.close(resolve)));

  async function run(app: App, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, ['-r', join(root, 'tools/register.js'), join(root, `apps/${app}/src/main.ts`)], {
      cwd: root,
      env: { ...base, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code] = await once(child, 'exit');
    clearTimeout(timer);
    return { code, stderr };
  }

  async function expectRefusal(app: App, env: NodeJS.ProcessEnv, named: string) {
    const before = connections;
    const { code, stderr } = await run(app, env);
    expect(code).toBe(78);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${app}: invalid configuration: .*${named}`));
    expect(connections).toBe(before);
  }

  it.each(APPS)('%s: production with IM_API_KEY unset', (app) => expectRefusal(app, { IM_API_KEY: undefined }, 'IM_API_KEY is unset'));

  it.each([
    ['gateway', { IM_TOKEN_SECRET: 'dev-token-secret-change-me' }, 'IM_TOKEN_SECRET is a published default'],
    ['messaging', { IM_TOKEN_SECRET: 'short-but-not-empty' }, 'IM_TOKEN_SECRET is shorter than 32'],
    ['expansions', { NODE_ENV: 'development', IM_API_KEY: '' }, 'IM_API_KEY is empty'],
    ['receipts', { IM_API_KEY: 'dev-server-key' }, 'IM_API_KEY is a published default'],
    ['push', { NODE_ENV: undefined, IM_TOKEN_SECRET: '' }, 'IM_TOKEN_SECRET is empty'],
  ] as Array<[App, NodeJS.ProcessEnv, string]>)('%s: a bad secret (%j)', (app, env, named) => expectRefusal(app, env, named));

  it.each([
    ['gateway', { PORT: 'http' }, 'PORT must be a whole number'],
    ['messaging', { RECALL_WINDOW_SECONDS: 'two minutes' }, 'RECALL_WINDOW_SECONDS must be a positive number'],
    ['expansions', { NATS_URL: 'localhost:4222' }, 'NATS_URL must be a URL'],
    ['receipts', { LOG_LEVEL: 'verbose' }, 'LOG_LEVEL must be one of error, warn, info, debug, silent'],
    ['push', { DATABASE_URL: 'mysql://db/im' }, 'DATABASE_URL must be a URL'],
  ] as Array<[App, NodeJS.ProcessEnv, string]>)('%s: a bad value (%j)', (app, env, named) => expectRefusal(app, env, named));

  it('with a good configuration the same app does connect (the listener counts)', async () => {
    const before = connections;
    const child = spawn(process.execPath, ['-r', join(root, 'tools/register.js'), join(root, 'apps/messaging/src/main.ts')], {
      cwd: root,
      env: { ...base, LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    });
    try {
      const deadline = Date.now() + 30_000;
      while (connections === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(connections).toBeGreaterThan(before);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
