/**
 * Container healthcheck for the NATS-only services:
 *   node -r ./tools/register.js tools/healthcheck.ts <service>
 * Sends `{}` to `${SUBJECT_PREFIX}.internal.<service>.health` on NATS_URL, with the container's
 * NATS credentials (NATS_USER/NATS_PASSWORD, ...: the service's own user may ask its own health),
 * and exits 0 when the reply is `{ ok: true, ... }`, 1 otherwise (no responder, timeout, bad
 * reply, NATS unreachable or refusing the credentials).
 */
import { connect } from '@nats-io/transport-node';
// The file itself, not @im/eventstore: a healthcheck every few seconds should not load the event store.
import { natsAuthFromEnv, natsAuthOptions } from '../libs/eventstore/src/nats-auth';

const TIMEOUT_MS = 2000;

async function main(): Promise<number> {
  const service = process.argv[2];
  if (!service) {
    console.error('usage: healthcheck.ts <service>');
    return 1;
  }
  const prefix = process.env.SUBJECT_PREFIX || 'im';
  const subject = `${prefix}.internal.${service}.health`;
  const nc = await connect({
    servers: process.env.NATS_URL || 'nats://127.0.0.1:4222',
    name: `healthcheck-${service}`,
    timeout: TIMEOUT_MS,
    reconnect: false,
    ...natsAuthOptions(natsAuthFromEnv()),
  });
  try {
    const msg = await nc.request(subject, JSON.stringify({}), { timeout: TIMEOUT_MS });
    const reply = JSON.parse(Buffer.from(msg.data).toString('utf8')) as { ok?: unknown };
    if (reply?.ok === true) return 0;
    console.error(`${subject}: unhealthy reply ${JSON.stringify(reply)}`);
    return 1;
  } finally {
    await nc.close().catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`healthcheck failed: ${(e as Error).message ?? e}`);
    process.exit(1);
  },
);
