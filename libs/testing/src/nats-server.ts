import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A nats-server of a test's own (nats.js `nst` style): a config file, JetStream in a temp dir. */
export interface OwnNatsServer {
  url: string;
  /** What the server logged so far (permission violations show here, with the connection's name). */
  log(): string;
  stop(): Promise<void>;
}

const BINARY = process.env.NATS_SERVER_BIN || '/usr/sbin/nats-server';
const READY_TIMEOUT_MS = 15_000;

/**
 * Starts `nats-server -c <config>` on a random loopback port with JetStream stored in a fresh
 * temporary directory, the process environment plus `env` (where the config finds its
 * `$VARIABLES`). Resolves once the server logged that it is ready, with the port it chose.
 */
export async function startNatsServer(config: string, env: Record<string, string> = {}): Promise<OwnNatsServer> {
  const storeDir = mkdtempSync(join(tmpdir(), 'im-nats-'));
  const child = spawn(BINARY, ['-c', config, '-a', '127.0.0.1', '-p', '-1', '-js', '-sd', storeDir], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stop = async () => {
    await killed(child);
    rmSync(storeDir, { recursive: true, force: true });
  };
  try {
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => void (log += chunk.toString('utf8')));
    const port = await readyPort(child);
    return { url: `nats://127.0.0.1:${port}`, log: () => log, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

function readyPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let log = '';
    let port: number | undefined;
    const fail = (e: Error) => (clearTimeout(timer), reject(e));
    const exited = (code: number | null) => fail(new Error(`nats-server exited (${code}):\n${log}`));
    const timer = setTimeout(() => fail(new Error(`nats-server not ready in ${READY_TIMEOUT_MS} ms:\n${log}`)), READY_TIMEOUT_MS);
    child.once('error', fail);
    child.once('exit', exited);
    const read = (chunk: Buffer) => {
      log += chunk.toString('utf8');
      port ??= Number(/Listening for client connections on [^\s]+:(\d+)/.exec(log)?.[1]) || undefined;
      if (!port || !log.includes('Server is ready')) return;
      clearTimeout(timer);
      child.off('exit', exited);
      child.stderr!.off('data', read);
      resolve(port);
    };
    child.stderr!.on('data', read);
  });
}

function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });
}
