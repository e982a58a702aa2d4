/**
 * `npm run stack`: the whole backend in the foreground without Docker, one process per app as
 * in production, against DATABASE_URL and NATS_URL (defaults: loopback). Each service runs its
 * migrations on start. Ctrl-C stops them all and waits for each to finish cleanly.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..');
const apps = ['messaging', 'expansions', 'receipts', 'push', 'gateway'];
const children: ChildProcess[] = [];
// Extra node flags for every app, e.g. STACK_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to
// profile under load (node refuses --cpu-prof in NODE_OPTIONS).
const nodeArgs = (process.env.STACK_NODE_ARGS ?? '').split(' ').filter(Boolean);
let stopping = false;

function start(app: string): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, '-r', join(root, 'tools/register.js'), join(root, `apps/${app}/src/main.ts`)], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: process.env,
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[stack] ${app} exited (${signal ?? code}); stopping everything`);
      void stop(1);
    }
  });
  return child;
}

async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
          setTimeout(() => c.kill('SIGKILL'), 10_000).unref();
        }),
    ),
  );
  process.exit(code);
}

process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
for (const app of apps) children.push(start(app));
