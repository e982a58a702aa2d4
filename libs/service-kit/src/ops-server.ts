import { AppMetrics } from '@im/observability';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/** What `/health/ready` answers: every check by name, ready only when all pass. */
export interface Readiness {
  ready: boolean;
  /** `ok`, or why not. */
  checks: Record<string, string>;
}

export interface OpsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A service's own small HTTP listener (the services speak NATS only): `GET /metrics`
 * (Prometheus text), `/health/live` (the process answers) and `/health/ready` (503 with the
 * checks that failed), for Prometheus and the container's healthcheck.
 */
export async function startOpsServer(port: number, metrics: AppMetrics, readiness: () => Promise<Readiness>, host = '0.0.0.0'): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => res.writeHead(status, { 'content-type': type }).end(body);
    const json = (status: number, body: unknown) => send(status, 'application/json; charset=utf-8', JSON.stringify(body));
    if (req.method !== 'GET') return json(405, { code: 'METHOD_NOT_ALLOWED' });
    if (path === '/metrics') {
      return void metrics.text().then(
        (text) => send(200, metrics.contentType, text),
        (e) => json(500, { code: 'INTERNAL', message: (e as Error).message }),
      );
    }
    if (path === '/health/live') return json(200, { status: 'ok' });
    if (path === '/health/ready') {
      return void readiness().then(
        (r) => json(r.ready ? 200 : 503, { status: r.ready ? 'ok' : 'unavailable', checks: r.checks }),
        (e) => json(503, { status: 'unavailable', checks: { readiness: (e as Error).message } }),
      );
    }
    json(404, { code: 'NOT_FOUND' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Resolves within `ms` with the check's verdict, or says it timed out. */
export async function check(work: () => Promise<unknown>, ms = 1000): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`no answer in ${ms} ms`), ms)));
  try {
    return await Promise.race([work().then(() => 'ok', (e) => (e as Error).message || String(e)), late]);
  } finally {
    clearTimeout(timer);
  }
}
