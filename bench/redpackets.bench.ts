/**
 * `npm run bench:redpackets`: claims against a running stack (`npm run stack`).
 *
 *   1. one packet of 1,000 shares in a 2,000-member group, 2,000 claims at once (those past the
 *      service's admission bound get 429 CLAIMS_BUSY and come back after Retry-After);
 *   2. 100 packets of 20 shares in the same group, every member claiming one of them at once.
 *
 * Prints claims/s, p50/p99 claim latency, outcomes, and checks the balance of every packet
 * (sum of shares = total, nothing overdrawn). Knobs: BENCH_MEMBERS (2000), BENCH_SHARES (1000),
 * BENCH_PACKETS (100), BENCH_PACKET_SHARES (20).
 */
import { api, createGroup, createUsers, envInt, ok, percentile, range, runId, sleep, timed } from './bench-kit';

const MEMBERS = envInt('BENCH_MEMBERS', 2000);
const SHARES = envInt('BENCH_SHARES', 1000);
const PACKETS = envInt('BENCH_PACKETS', 100);
const PACKET_SHARES = envInt('BENCH_PACKET_SHARES', 20);

interface Outcome {
  status: number;
  code?: string;
  amount?: number;
  ms: number;
  /** 429s answered (and retried) before this outcome. */
  busy: number;
}

async function createPacket(sender: string, groupId: string, totalAmount: number, count: number): Promise<string> {
  const res = await api.post(
    '/v1/red-packets',
    { conversationType: 3, targetId: groupId, totalAmount, count, mode: 'random', currency: 'CNY' },
    { as: sender, headers: { 'idempotency-key': `pay-${runId}-${Math.random()}` } },
  );
  ok(res, 'create red packet');
  return res.body.redPacketId;
}

/**
 * A claim as a client makes it: a 429 (a burst beyond the service's admission bound, nothing
 * claimed) is tried again after its Retry-After, with jitter so the refused do not return at once.
 */
async function claim(redPacketId: string, userId: string): Promise<Outcome> {
  const start = performance.now();
  for (let busy = 0; ; busy++) {
    const res = await api.post(`/v1/red-packets/${redPacketId}/claims`, undefined, { as: userId });
    if (res.status === 429 && busy < 30) {
      await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000 * (0.5 + Math.random()));
      continue;
    }
    return { status: res.status, code: res.body?.error?.code, amount: res.body?.amount, ms: performance.now() - start, busy };
  }
}

/**
 * The packet's own account must balance: sum of claims + remaining = total, with no share
 * over-drawn. A claimer whose reply timed out (503) may still have been credited: such claims
 * are counted apart, not as an imbalance.
 */
async function checkBalance(redPacketId: string, total: number, outcomes: Outcome[]): Promise<string> {
  const state = (await api.get(`/v1/red-packets/${redPacketId}`)).body;
  const stored = state.claims.reduce((s: number, c: { amount: number }) => s + c.amount, 0);
  const told = outcomes.filter((o) => o.status === 200).reduce((s, o) => s + (o.amount ?? 0), 0);
  const balanced = stored + state.remainingAmount === total && told <= stored && state.claims.length <= state.count;
  if (!balanced) console.error(`UNBALANCED ${redPacketId}: claims ${stored} + remaining ${state.remainingAmount} != ${total} (told ${told})`);
  return balanced ? 'ok' : 'UNBALANCED';
}

function report(name: string, outcomes: Outcome[], seconds: number, balance: string): Record<string, unknown> {
  const won = outcomes.filter((o) => o.status === 200);
  const byCode = new Map<string, number>();
  for (const o of outcomes) if (o.status !== 200) byCode.set(`${o.status} ${o.code}`, (byCode.get(`${o.status} ${o.code}`) ?? 0) + 1);
  return {
    scenario: name,
    claims: outcomes.length,
    'claims/s': Math.round(outcomes.length / seconds),
    'won': won.length,
    'p50 ms': Math.round(percentile(outcomes.map((o) => o.ms), 50)),
    'p99 ms': Math.round(percentile(outcomes.map((o) => o.ms), 99)),
    refused: [...byCode].map(([k, n]) => `${n}x ${k}`).join(', ') || '-',
    '429 retried': outcomes.reduce((s, o) => s + o.busy, 0),
    balance,
  };
}

async function onePacket(sender: string, groupId: string, members: string[]): Promise<Record<string, unknown>> {
  const total = SHARES * 100;
  const id = await createPacket(sender, groupId, total, SHARES);
  const start = performance.now();
  const outcomes = await Promise.all(members.map((m) => claim(id, m)));
  const seconds = (performance.now() - start) / 1000;
  return report(`1 packet x ${SHARES} shares, ${members.length} claimers`, outcomes, seconds, await checkBalance(id, total, outcomes));
}

async function manyPackets(sender: string, groupId: string, members: string[]): Promise<Record<string, unknown>> {
  const total = PACKET_SHARES * 100;
  const ids = await Promise.all(range(PACKETS, () => '').map(() => createPacket(sender, groupId, total, PACKET_SHARES)));
  // Each member claims one packet; packets get members round-robin, so each sees members/PACKETS claimers.
  const start = performance.now();
  const outcomes = await Promise.all(members.map((m, i) => claim(ids[i % ids.length], m).then((o) => ({ ...o, packet: ids[i % ids.length] }))));
  const seconds = (performance.now() - start) / 1000;
  const balances = await Promise.all(ids.map((id) => checkBalance(id, total, outcomes.filter((o) => o.packet === id))));
  return report(`${PACKETS} packets x ${PACKET_SHARES} shares`, outcomes, seconds, balances.every((b) => b === 'ok') ? 'ok' : 'UNBALANCED');
}

async function main(): Promise<void> {
  const groupId = `rpg-${runId}`;
  const members = range(MEMBERS, (i) => `rp-${runId}-${i}`);
  console.log('setup');
  await timed(`${MEMBERS} users`, () => createUsers(members));
  await timed(`group of ${MEMBERS}`, () => createGroup(groupId, members));
  // The expansions service learns membership from messaging's events: wait until it has.
  await timed('expansions service caught up', async () => {
    for (;;) {
      const r = await api.post('/v1/red-packets', { conversationType: 3, targetId: groupId, totalAmount: 1, count: 1, mode: 'fixed', currency: 'CNY' }, { as: members[members.length - 1] });
      if (r.status === 201) return;
      await new Promise((res) => setTimeout(res, 100));
    }
  });
  const rows = [await onePacket(members[0], groupId, members), await manyPackets(members[0], groupId, members)];
  console.table(rows);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
