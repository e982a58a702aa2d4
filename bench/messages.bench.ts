/**
 * `npm run bench:messages`: send throughput, send latency and projection lag of POST /v1/messages
 * against an already running stack (`npm run stack`), for a private conversation, a group of 100
 * and a group of 10,000.
 *
 *   BASE_URL           gateway (default http://127.0.0.1:3000)
 *   IM_API_KEY         server key (default dev-server-key)
 *   BENCH_SECONDS      length of each scenario (default 10)
 *   BENCH_CONCURRENCY  concurrent senders per scenario (default 32)
 *
 * Every id carries a fresh run id, so runs never collide with earlier data in the same database.
 */
import { api, BASE_URL, createGroup, createUsers, envInt, ok, percentile, randomInt, range, runId, sleep, timed } from './bench-kit';

const SECONDS = envInt('BENCH_SECONDS', 10);
const CONCURRENCY = envInt('BENCH_CONCURRENCY', 32);

const LAG_SAMPLE_EVERY = 20; // every 20th accepted message is followed until a recipient sees it...
const LAG_MAX_SAMPLES = 200; // ...up to this many per scenario
const LAG_POLL_MS = 5;
const LAG_TIMEOUT_MS = 10_000;
const SETTLE_TIMEOUT_MS = 30_000;

const PRIVATE = 1;
const GROUP = 3;

// ---------------------------------------------------------------------------------------------
// Projection lag

/** One send as the benchmark sees it: who sends where, and who checks that it arrived. */
interface Send {
  senderId: string;
  conversationType: number;
  targetId: string;
  /** The recipient whose conversation list is polled. */
  observerId: string;
  /** The conversation's targetId as the observer sees it (the sender, for a private chat). */
  observedTargetId: string;
}

interface Accepted {
  messageUId: string;
  seq: number;
}

/** The observer's view of the conversation's last message, or undefined if not listed (yet). */
async function lastMessageSeen(send: Send): Promise<Accepted | undefined> {
  const res = await api.get('/v1/conversations?limit=500', { as: send.observerId });
  if (res.status !== 200) return undefined;
  const conv = res.body.conversations.find(
    (c: any) => c.conversationType === send.conversationType && c.targetId === send.observedTargetId,
  );
  return conv?.lastMessage ?? undefined;
}

/** Seq is per conversation, so a later last message also proves ours was applied. */
const covers = (seen: Accepted | undefined, msg: Accepted) => !!seen && (seen.messageUId === msg.messageUId || seen.seq >= msg.seq);

interface Pending extends Accepted {
  acceptedAt: number;
}

/**
 * Follows sampled messages until a recipient's conversation list shows them, without holding
 * up the senders. Samples for the same observer and conversation share one polling loop: each
 * poll settles every pending sample it covers, so the extra load stays bounded by the number of
 * conversations (not the sample rate) even when the projection falls seconds behind.
 */
class LagTracker {
  readonly lags: number[] = [];
  timeouts = 0;
  private sampled = 0;
  private accepted = 0;
  private readonly watchers = new Map<string, Pending[]>();
  private readonly loops: Promise<void>[] = [];

  offer(send: Send, msg: Accepted, acceptedAt: number): void {
    if (++this.accepted % LAG_SAMPLE_EVERY !== 0 || this.sampled >= LAG_MAX_SAMPLES) return;
    this.sampled++;
    const key = `${send.observerId}|${send.conversationType}|${send.observedTargetId}`;
    const pending = this.watchers.get(key);
    const sample = { messageUId: msg.messageUId, seq: msg.seq, acceptedAt };
    if (pending) return void pending.push(sample);
    this.watchers.set(key, [sample]);
    this.loops.push(this.watch(key, send));
  }

  /** Waits for every sample to be seen or to time out. Call once no more samples are offered. */
  async drain(): Promise<void> {
    await Promise.all(this.loops);
  }

  private async watch(key: string, send: Send): Promise<void> {
    const pending = this.watchers.get(key)!;
    while (pending.length > 0) {
      const seen = await lastMessageSeen(send).catch(() => undefined);
      const now = performance.now();
      for (let i = pending.length - 1; i >= 0; i--) {
        const s = pending[i];
        // The poll may have been issued just before the 201 landed; lag can't be negative.
        if (covers(seen, s)) this.lags.push(Math.max(0, now - s.acceptedAt));
        else if (now - s.acceptedAt > LAG_TIMEOUT_MS) this.timeouts++;
        else continue;
        pending.splice(i, 1);
      }
      if (pending.length > 0) await sleep(LAG_POLL_MS);
    }
    // No await since the emptiness check: a new sample for this key starts a fresh loop.
    this.watchers.delete(key);
  }
}

/**
 * Waits until `last` is visible to its observer. The projection applies one ordered stream, so
 * this means everything written before it has been applied too: a scenario's backlog (samples
 * cluster early once the cap is reached) must not leak into the next scenario's lag.
 */
async function settle(last: { send: Send; msg: Accepted } | undefined, timeoutMs = SETTLE_TIMEOUT_MS): Promise<void> {
  if (!last) return;
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (covers(await lastMessageSeen(last.send).catch(() => undefined), last.msg)) return;
    await sleep(50);
  }
  console.warn(`  projection did not catch up within ${timeoutMs / 1000} s; continuing`);
}

/** Setup leaves ~10,000 user and membership events ahead of the projection; drain them first. */
async function drainSetup(scenario: Scenario): Promise<void> {
  const send = scenario.next(0);
  const res = await api.sendText(send.senderId, send.conversationType, send.targetId, `bench ${runId} warm-up`);
  ok(res, 'warm-up send');
  await settle({ send, msg: res.body }, 120_000);
}

// ---------------------------------------------------------------------------------------------
// Scenarios

interface Scenario {
  name: string;
  /** The next send of sender `worker`. */
  next(worker: number): Send;
}

interface Result {
  scenario: string;
  'msg/s': number;
  'p50 ms': number;
  'p99 ms': number;
  errors: number;
  'lag p50 ms': number;
  'lag p99 ms': number;
  'lag n': number;
  'lag timeouts': number;
}

/**
 * Closed loop (each sender sends again as soon as it is answered: the maximum rate) or, with
 * `ratePerSecond`, open loop: sends start on a fixed schedule (at most CONCURRENCY in flight), so
 * the lag is measured at a load the stack can keep up with.
 */
async function runScenario(scenario: Scenario, ratePerSecond?: number): Promise<Result> {
  const label = ratePerSecond ? `${scenario.name} at ${Math.round(ratePerSecond)}/s` : scenario.name;
  console.log(`\n${label}: ${CONCURRENCY} senders for ${SECONDS} s`);
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  const lag = new LagTracker();
  let last: { send: Send; msg: Accepted } | undefined;
  const start = performance.now();
  const deadline = start + SECONDS * 1000;

  const interval = ratePerSecond ? (1000 * CONCURRENCY) / ratePerSecond : 0;
  const sender = async (worker: number) => {
    // Paced senders start staggered so the whole set sends evenly, one every 1000/rate ms.
    let due = start + (interval * worker) / CONCURRENCY;
    for (let n = 0; performance.now() < deadline; n++) {
      if (interval) {
        const wait = due - performance.now();
        due += interval;
        if (wait > 0) await sleep(wait);
        if (performance.now() >= deadline) break;
      }
      const send = scenario.next(worker);
      const started = performance.now();
      let reason: string;
      try {
        const res = await api.sendText(send.senderId, send.conversationType, send.targetId, `bench ${runId} ${worker}:${n}`);
        const done = performance.now();
        if (res.status === 201) {
          latencies.push(done - started);
          lag.offer(send, res.body, done);
          last = { send, msg: res.body };
          continue;
        }
        reason = `HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 120)}`;
      } catch (e) {
        reason = (e as Error).message;
      }
      errors.set(reason, (errors.get(reason) ?? 0) + 1);
    }
  };

  await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => sender(i)));
  // Elapsed includes the requests still in flight at the deadline: they count as accepted.
  const elapsed = (performance.now() - start) / 1000;
  await lag.drain();
  await settle(last);

  for (const [reason, count] of errors) console.log(`  ${count} x ${reason}`);
  const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);
  return {
    scenario: label,
    'msg/s': round(latencies.length / elapsed),
    'p50 ms': round(percentile(latencies, 50)),
    'p99 ms': round(percentile(latencies, 99)),
    errors: errorCount,
    'lag p50 ms': round(percentile(lag.lags, 50)),
    'lag p99 ms': round(percentile(lag.lags, 99)),
    'lag n': lag.lags.length,
    'lag timeouts': lag.timeouts,
  };
}

const round = (x: number) => Math.round(x * 10) / 10;

/** Sender i always writes to peer i: CONCURRENCY distinct private conversations. */
function privateScenario(senders: string[], peers: string[]): Scenario {
  return {
    name: 'private',
    next: (i) => ({
      senderId: senders[i],
      conversationType: PRIVATE,
      targetId: peers[i],
      observerId: peers[i],
      observedTargetId: senders[i],
    }),
  };
}

/**
 * Random members send to one group; member 0 only reads, so the observer is a pure recipient
 * and one polling loop covers all of the scenario's lag samples.
 */
function groupScenario(name: string, groupId: string, members: string[]): Scenario {
  const observerId = members[0];
  return {
    name,
    next: () => ({
      senderId: members[1 + randomInt(members.length - 1)],
      conversationType: GROUP,
      targetId: groupId,
      observerId,
      observedTargetId: groupId,
    }),
  };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  console.log(`run ${runId} against ${BASE_URL}: ${SECONDS} s per scenario, ${CONCURRENCY} senders`);

  const senders = range(CONCURRENCY, (i) => `${runId}-ps${i}`);
  const peers = range(CONCURRENCY, (i) => `${runId}-pr${i}`);
  const small = range(100, (i) => `${runId}-s${i}`);
  const large = range(10_000, (i) => `${runId}-l${i}`);
  const smallGroup = `${runId}-g100`;
  const largeGroup = `${runId}-g10k`;

  console.log('setup');
  await timed(`${senders.length + peers.length + small.length} users`, () => createUsers([...senders, ...peers, ...small]));
  await timed(`${large.length} users`, () => createUsers(large));
  await timed('group of 100', () => createGroup(smallGroup, small));
  await timed('group of 10,000 (one PUT)', () => createGroup(largeGroup, large));

  const scenarios = [
    privateScenario(senders, peers),
    groupScenario('group 100', smallGroup, small),
    groupScenario('group 10,000', largeGroup, large),
  ];
  await timed('projection caught up with setup', () => drainSetup(scenarios[2]));

  const results: Result[] = [];
  for (const scenario of scenarios) results.push(await runScenario(scenario));
  // The lag target has two points: at the maximum rate (above) and at half of it.
  const half = await runScenario(scenarios[0], results[0]['msg/s'] / 2);
  results.push(half);

  console.log();
  console.table(results);
  // The send path claims O(1) in group size; these ratios show how far that holds end to end.
  const privateRate = results[0]['msg/s'];
  for (const r of results.slice(1, 3)) {
    console.log(`${r.scenario} / private rate: ${privateRate > 0 ? (r['msg/s'] / privateRate).toFixed(2) : 'n/a'}`);
  }
  console.log(`private lag p99 at the maximum rate: ${results[0]['lag p99 ms']} ms (target <= 1000)`);
  console.log(`private lag p99 at half the maximum rate: ${half['lag p99 ms']} ms (target <= 100)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
