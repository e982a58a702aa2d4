/**
 * Container healthcheck: `node dist/tools/probe.js [port]` asks this container's
 * `/health/ready` and exits 0 on 200, 1 otherwise (503, no answer within 4 s, nothing
 * listening). The port: the argument, else HEALTH_PORT, else the gateway's PORT (APP=gateway)
 * or a service's METRICS_PORT.
 */
const port =
  process.argv[2] || process.env.HEALTH_PORT || (process.env.APP === 'gateway' ? process.env.PORT || '3000' : process.env.METRICS_PORT || '9464');

fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(4000) }).then(
  async (res) => {
    if (!res.ok) process.stderr.write(`not ready (${res.status}): ${await res.text()}\n`);
    process.exit(res.ok ? 0 : 1);
  },
  (e: Error) => {
    process.stderr.write(`no answer on :${port}: ${e.message}\n`);
    process.exit(1);
  },
);
