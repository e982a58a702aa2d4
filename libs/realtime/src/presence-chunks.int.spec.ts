import { Subjects } from '@im/contracts';
import { createTestEnv, eventually, TestEnv } from '@im/testing';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { PresenceBoard } from './presence-board';
import { PresenceReporter } from './presence-reporter';

/**
 * 30,000 users online on one gateway: one announcement of them all would be ~1.2 MB, past
 * NATS's 1 MB max_payload (the publish throws and the gateway used to crash-loop). In parts
 * under the limit, a board on the other side sees every one of them, and then their leaving.
 */
describe('presence at scale (real NATS)', () => {
  let env: TestEnv;
  let gatewayNc: NatsConnection;
  let pushNc: NatsConnection;

  beforeAll(async () => {
    env = await createTestEnv();
    gatewayNc = await connect({ servers: env.natsUrl });
    pushNc = await connect({ servers: env.natsUrl });
  });

  afterAll(async () => {
    await gatewayNc?.close();
    await pushNc?.close();
    await env?.dispose();
  });

  it('announces 30,000 users in parts under max_payload, and the board sees all of them', async () => {
    const subjects = new Subjects(env.prefix);
    const users = Array.from({ length: 30_000 }, (_, i) => `user-with-a-longish-id-${String(i).padStart(6, '0')}`);
    const sizes: number[] = [];
    pushNc.subscribe(subjects.presence(), { callback: (_e, m) => void sizes.push(m.data.length) });
    const board = new PresenceBoard(pushNc, subjects);
    board.start();
    const reporter = new PresenceReporter(gatewayNc, subjects, 'gw-big', { intervalMs: 60_000 });
    reporter.start();
    users.forEach((u, i) => reporter.opened(u, `d${i % 3}`));
    await eventually(async () => expect(users.filter((u) => !board.isOnline(u)).length).toBe(0));
    // The periodic full list, in parts, on request.
    sizes.length = 0;
    pushNc.publish(subjects.presenceSync());
    await eventually(async () => expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThan(users.length * 30));
    expect(sizes.length).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThan(gatewayNc.info!.max_payload);
    users.slice(0, 10_000).forEach((u, i) => reporter.closed(u, `d${i % 3}`));
    await eventually(async () => expect(users.slice(0, 10_000).filter((u) => board.isOnline(u)).length).toBe(0));
    expect(users.slice(10_000).every((u) => board.isOnline(u))).toBe(true);
    reporter.stop();
    board.stop();
  });
});
