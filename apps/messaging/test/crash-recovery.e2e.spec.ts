import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';

const root = join(__dirname, '../../..');

/**
 * Kills the messaging process (SIGKILL, no goodbye) in the middle of a send burst, starts it
 * again, and lets clients retry with their Idempotency-Keys: every acknowledged message is
 * there, none twice, in history and on NATS.
 */
describe('messaging survives a crash mid-burst', () => {
  let env: TestEnv;
  let stack: TestStack;
  let child: ChildProcess | undefined;

  function startMessaging(): ChildProcess {
    return spawn(process.execPath, ['-r', join(root, 'tools/register.js'), join(root, 'apps/messaging/src/main.ts')], {
      env: { ...process.env, DATABASE_URL: env.databaseUrl, NATS_URL: env.natsUrl, SUBJECT_PREFIX: env.prefix, LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    });
  }

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { only: [] });
    child = startMessaging();
    await eventually(async () => expect((await stack.api.put('/v1/users/a', { name: 'A' })).status).toBe(200), 30_000, 100);
    await stack.api.put('/v1/users/b', { name: 'B' });
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    await stack?.close();
    await env?.dispose();
  });

  it('loses no acknowledged message and duplicates none', async () => {
    const total = 240;
    const accepted = new Map<string, string>();
    const send = (i: number) => stack.api.sendText('a', 1, 'b', `m${i}`, {}, { headers: { 'idempotency-key': `k${i}` } });
    let next = 0;
    let killed = false;
    const worker = async () => {
      while (next < total) {
        const i = next++;
        const res = await send(i);
        if (res.status === 201) accepted.set(`k${i}`, res.body.messageUId);
        if (!killed && accepted.size >= 60) {
          killed = true;
          child!.kill('SIGKILL');
          child = startMessaging();
        }
      }
    };
    await Promise.all(Array.from({ length: 12 }, worker));
    expect(killed).toBe(true);
    const acknowledgedBeforeRetry = new Map(accepted);

    // Clients retry what failed with the same key until it is accepted.
    for (let i = 0; i < total; i++) {
      if (accepted.has(`k${i}`)) continue;
      const res = await eventually(async () => {
        const r = await send(i);
        expect(r.status).toBe(201);
        return r;
      }, 30_000, 100);
      accepted.set(`k${i}`, res.body.messageUId);
    }
    // A retry of an acknowledged send returns the same message.
    for (const [key, uid] of [...acknowledgedBeforeRetry].slice(0, 5)) {
      expect((await send(Number(key.slice(1)))).body.messageUId).toBe(uid);
    }

    const history = await eventually(async () => {
      const all: Array<{ messageUId: string; seq: number }> = [];
      let before: number | undefined;
      for (;;) {
        const page = await stack.api.get(`/v1/conversations/1/a/messages?limit=100${before ? `&before=${before}` : ''}`, { as: 'b' });
        all.push(...page.body.messages);
        if (page.body.messages.length < 100) break;
        before = page.body.messages[page.body.messages.length - 1].seq;
      }
      expect(all).toHaveLength(total);
      return all;
    }, 30_000);
    expect(new Set(history.map((m) => m.messageUId))).toEqual(new Set(accepted.values()));
    expect(history.map((m) => m.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, i) => i + 1));

    const nc = await connect({ servers: env.natsUrl });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(`${env.prefix}_MESSAGING`.toUpperCase());
      // Two user.upserted events plus one message.sent per accepted message.
      expect(info.state.messages).toBe(total + 2);
    } finally {
      await nc.close();
    }
  });
});
