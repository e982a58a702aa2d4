/**
 * `npm run bench:redpackets`: issue 9's claims target against a running stack (`npm run stack`).
 *
 *   0. pg.hotrow.update: the bare "decrement one row" rate of the same Postgres, in the same run
 *      (BENCH_HOTROW_CONNECTIONS clients, each `UPDATE … SET n = n - 1` on one row, autocommit,
 *      for BENCH_HOTROW_S seconds, on a scratch table of DATABASE_URL's database);
 *   1. one packet of 1,000 shares in a 2,000-member group, every member claiming it once, 64
 *      claims in flight (a 429 CLAIMS_BUSY is tried again after its Retry-After);
 *   2. 100 packets of 20 shares in the same group, every member claiming one of them, 64 in flight.
 *
 * Prints claims/s, p50/p99 claim latency, outcomes, checks the money of every packet (what the
 * winners were told = the stored claims, claims + remaining = total, no share over-drawn), and
 * the verdict: claims/s ≥ 20 % of pg.hotrow.update and p99 ≤ 200 ms. Knobs: BENCH_MEMBERS (2000),
 * BENCH_SHARES (1000), BENCH_IN_FLIGHT (64), BENCH_PACKETS (100, 0 skips scenario 2),
 * BENCH_PACKET_SHARES (20), BENCH_HOTROW_CONNECTIONS (16: max_connections is shared with the
 * stack; the rate of one hot row is bounded by its lock and commit, not by more clients), BENCH_HOTROW_S (5).
 */
import { Pool } from 'pg';
import { api, createGroup, createUsers, envInt, ok, percentile, pool, range, runId, sleep, timed } from './bench-kit';

const MEMBERS = envInt('BENCH_MEMBERS', 2000);
const SHARES = envInt('BENCH_SHARES', 1000);
const IN_FLIGHT = envInt('BENCH_IN_FLIGHT', 64);
const PACKETS = Number(process.env.BENCH_PACKETS ?? 100);
const PACKET_SHARES = envInt('BENCH_PACKET_SHARES', 20);
const HOTROW_CONNECTIONS = envInt('BENCH_HOTROW_CONNECTIONS', 16);
const HOTROW_S = envInt('BENCH_HOTROW_S', 5);
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Issue 9's claims target. */
const TARGET_RATIO = 0.2;
const TARGET_P99_MS = 200;

interface Outcome {
  status: number;
  code?: string;
  amount?: number;
  ms: number;
  /** 429s answered (and retried) before this outcome. */
  busy: number;
}

/** Decrements of one row per second, autocommit, from HOTROW_CONNECTIONS clients at once. */
async function hotRowUpdate(): Promise<number> {
  const pg = new Pool({ connectionString: DATABASE_URL, max: HOTROW_CONNECTIONS });
  const table = `bench_hotrow_${runId}`;
  try {
    await pg.query(`CREATE TABLE ${table} (id int PRIMARY KEY, n bigint NOT NULL)`);
    await pg.query(`INSERT INTO ${table} VALUES (1, 1000000000)`);
    let done = 0;
    const until = performance.now() + HOTROW_S * 1000;
    const client = async () => {
      const c = await pg.connect();
      try {
        while (performance.now() < until) {
          await c.query(`UPDATE ${table} SET n = n - 1 WHERE id = 1`);
          done++;
        }
      } finally {
        c.release();
      }
    };
    const start = performance.now();
    await Promise.all(range(HOTROW_CONNECTIONS, () => '').map(client));
    return done / ((performance.now() - start) / 1000);
  } finally {
    await pg.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await pg.end();
  }
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

/** Every member's claim, IN_FLIGHT at a time; the seconds from the first to the last answer. */
async function claimAll(members: string[], packetOf: (i: number) => string): Promise<{ outcomes: (Outcome & { packet: string })[]; seconds: number }> {
  const outcomes: (Outcome & { packet: string })[] = [];
  const start = performance.now();
  await pool(
    members.map((m, i) => [m, packetOf(i)] as const),
    IN_FLIGHT,
    async ([m, packet]) => {
      outcomes.push({ ...(await claim(packet, m)), packet });
    },
  );
  return { outcomes, seconds: (performance.now() - start) / 1000 };
}

/**
 * Money exact: what the winners were told is what the packet stored, claims + remaining = total,
 * no more claims than shares, and every share was claimed when there were claimers enough.
 */
async function checkBalance(redPacketId: string, total: number, count: number, outcomes: Outcome[]): Promise<string> {
  const state = (await api.get(`/v1/red-packets/${redPacketId}`)).body;
  const stored = state.claims.reduce((s: number, c: { amount: number }) => s + c.amount, 0);
  const won = outcomes.filter((o) => o.status === 200);
  const told = won.reduce((s, o) => s + (o.amount ?? 0), 0);
  const full = outcomes.length < count || state.claims.length === count;
  const exact = stored + state.remainingAmount === total && told === stored && won.length === state.claims.length && full;
  if (!exact) {
    console.error(`MONEY ${redPacketId}: claims ${stored} (${state.claims.length}) + remaining ${state.remainingAmount} vs ${total}; told ${told} (${won.length})`);
  }
  return exact ? 'exact' : 'WRONG';
}

function report(name: string, outcomes: Outcome[], seconds: number, money: string) {
  const byCode = new Map<string, number>();
  for (const o of outcomes) if (o.status !== 200) byCode.set(`${o.status} ${o.code}`, (byCode.get(`${o.status} ${o.code}`) ?? 0) + 1);
  return {
    scenario: name,
    claims: outcomes.length,
    'claims/s': Math.round(outcomes.length / seconds),
    won: outcomes.filter((o) => o.status === 200).length,
    'p50 ms': Math.round(percentile(outcomes.map((o) => o.ms), 50)),
    'p99 ms': Math.round(percentile(outcomes.map((o) => o.ms), 99)),
    refused: [...byCode].map(([k, n]) => `${n}x ${k}`).join(', ') || '-',
    '429 retried': outcomes.reduce((s, o) => s + o.busy, 0),
    money,
  };
}

async function onePacket(sender: string, groupId: string, members: string[]) {
  const total = SHARES * 100;
  const id = await createPacket(sender, groupId, total, SHARES);
  const { outcomes, seconds } = await claimAll(members, () => id);
  return report(`1 packet x ${SHARES} shares, ${members.length} claimers, ${IN_FLIGHT} in flight`, outcomes, seconds, await checkBalance(id, total, SHARES, outcomes));
}

async function manyPackets(sender: string, groupId: string, members: string[]) {
  const total = PACKET_SHARES * 100;
  const ids: string[] = [];
  await pool(range(PACKETS, () => ''), 8, async () => void ids.push(await createPacket(sender, groupId, total, PACKET_SHARES)));
  // Packets get members round-robin, so each sees members/PACKETS claimers.
  const { outcomes, seconds } = await claimAll(members, (i) => ids[i % ids.length]);
  const money = await Promise.all(ids.map((id) => checkBalance(id, total, PACKET_SHARES, outcomes.filter((o) => o.packet === id))));
  return report(`${PACKETS} packets x ${PACKET_SHARES} shares, ${IN_FLIGHT} in flight`, outcomes, seconds, money.every((m) => m === 'exact') ? 'exact' : 'WRONG');
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
      await sleep(100);
    }
  });
  const hotrow = await hotRowUpdate();
  console.log(`pg.hotrow.update: ${Math.round(hotrow)}/s (${HOTROW_CONNECTIONS} clients, ${HOTROW_S} s)`);
  const hot = await onePacket(members[0], groupId, members);
  console.table([hot]);
  const ratio = hot['claims/s'] / hotrow;
  const held = ratio >= TARGET_RATIO && hot['p99 ms'] <= TARGET_P99_MS && hot.money === 'exact';
  console.log(
    `claims: ${hot['claims/s']}/s = ${ratio.toFixed(3)} x pg.hotrow.update (target >= ${TARGET_RATIO}), ` +
      `p99 ${hot['p99 ms']} ms (target <= ${TARGET_P99_MS}), money ${hot.money}: ${held ? 'TARGET HELD' : 'TARGET MISSED'}`,
  );
  if (PACKETS > 0) console.table([await manyPackets(members[0], groupId, members)]);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
