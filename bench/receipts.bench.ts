/**
 * `npm run bench:receipts`: read receipts at group scale against an already running stack
 * (`npm run stack`). A group of BENCH_MEMBERS (10,000) gets BENCH_MESSAGES (100) messages with
 * needReadReceipt; then every member marks the conversation read (a position) and a share of
 * them (half) first sends per-message receipts for all of them. Issue 9's three targets are
 * printed last, each as a ratio (>= 1 met for the rate, <= 1 met for the p99s):
 *
 *   - ingest: receipts calls/s over the private send rate (POST /v1/messages, closed loop, the
 *     same BENCH_CONCURRENCY, BENCH_SEND_SECONDS, measured in the same run against the same stack),
 *   - GET /v1/receipts for 20 messages, p99 over 10 ms,
 *   - a readers page of 200, p99 over 20 ms (the worst of a read page of a message everyone read
 *     and an unread page of a message few read: both return full pages).
 *
 * It also prints:
 *
 *   - receipts ingested per second (HTTP calls, and member x message reads they stand for),
 *   - p50/p99 of GET /v1/receipts and of readers pages (read and unread filters),
 *   - the rows stored per message, and how many receipt.updated events the sender got,
 *   - the lag from a read to the sender's receipt.updated with the new count.
 *
 *   BASE_URL                gateway (default http://127.0.0.1:3000)
 *   IM_API_KEY              server key (default dev-server-key)
 *   NATS_URL, SUBJECT_PREFIX  where receipt.updated is published (default nats://127.0.0.1:4222, im)
 *   DATABASE_URL            to count stored rows (default postgres://postgres@127.0.0.1:5432/postgres)
 *   BENCH_MEMBERS           group size, sender included (default 10000)
 *   BENCH_MESSAGES          messages with receipts (default 100)
 *   BENCH_RECEIPT_PERCENT   share of members that also send per-message receipts (default 50)
 *   BENCH_CONCURRENCY       requests in flight while ingesting and sending (default 50)
 *   BENCH_SEND_SECONDS      length of the private send phase (default 10)
 *   BENCH_QUERY_SAMPLES     samples per query latency (default 200)
 *   BENCH_LAG_SAMPLES       sequential reads followed until the sender hears of them (default 50)
 *   BENCH_ANALYZE           1: time the queries again after ANALYZE of the receipts schema, for a
 *                           Postgres running without autovacuum (its planner has no statistics)
 */
import { connect } from '@nats-io/transport-node';
import { Client } from 'pg';
import { api, BASE_URL, createGroup, createUsers, envInt, ok, percentile, runId, sleep, timed } from './bench-kit';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const PREFIX = process.env.SUBJECT_PREFIX ?? 'im';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MEMBERS = envInt('BENCH_MEMBERS', 10_000);
const MESSAGES = envInt('BENCH_MESSAGES', 100);
const RECEIPT_PERCENT = envInt('BENCH_RECEIPT_PERCENT', 50);
const CONCURRENCY = envInt('BENCH_CONCURRENCY', 50);
const SEND_SECONDS = envInt('BENCH_SEND_SECONDS', 10);
const QUERY_SAMPLES = envInt('BENCH_QUERY_SAMPLES', 200);
const LAG_SAMPLES = envInt('BENCH_LAG_SAMPLES', 50);
const ANALYZE = process.env.BENCH_ANALYZE === '1';

const PRIVATE = 1;
const GROUP = 3;
const PAGE = 200;
/** Issue 9's targets for receipts in a group of 10,000. */
const COUNTS_P99_TARGET_MS = 10;
const PAGE_P99_TARGET_MS = 20;
const COUNTS_20 = 'GET /v1/receipts (20 ids)';
const READ_PAGE = `readers page, filter=read (${PAGE})`;
const UNREAD_PAGE = `readers page, filter=unread (${PAGE} of few read)`;

const round = (x: number) => Math.round(x * 10) / 10;

/** Like the kit's pool, with the item's index (who sends receipts is decided by position). */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 180_000, everyMs = 100): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Latency samples of one request; failures are counted, not timed. */
async function sample(n: number, call: (i: number) => Promise<{ status: number }>): Promise<{ p50: number; p99: number; errors: number }> {
  const times: number[] = [];
  let errors = 0;
  await pool(Array.from({ length: n }, (_, i) => i), 4, async (i) => {
    const start = performance.now();
    const res = await call(i);
    if (res.status === 200) times.push(performance.now() - start);
    else errors++;
  });
  return { p50: round(percentile(times, 50)), p99: round(percentile(times, 99)), errors };
}

// ---------------------------------------------------------------------------------------------

interface Sent {
  messageUId: string;
  seq: number;
}

async function setup(sender: string, readers: string[], groupId: string): Promise<Sent[]> {
  console.log('setup');
  await timed(`${readers.length + 1} users`, () => createUsers([sender, ...readers]));
  await timed(`group of ${readers.length + 1} (one PUT)`, () => createGroup(groupId, [sender, ...readers]));
  const sent: Sent[] = [];
  await timed(`${MESSAGES} messages with needReadReceipt`, async () => {
    for (let i = 0; i < MESSAGES; i++) {
      const res = await api.sendText(sender, GROUP, groupId, `bench ${runId} ${i}`, { needReadReceipt: true });
      ok(res, 'send');
      sent.push(res.body);
    }
  });
  // Every member must be known to receipts (membership) and messaging before the reads start.
  const last = readers[readers.length - 1];
  await timed('projections caught up with setup', async () => {
    await until('receipts view', async () => (await api.get(`/v1/receipts?messageUIds=${sent[sent.length - 1].messageUId}`, { as: sender })).status === 200);
    await until('membership', async () => (await api.get(`/v1/conversations/${GROUP}/${groupId}/messages?limit=1`, { as: last })).status === 200);
  });
  return sent;
}

/**
 * The yardstick for ingest: private text sends per second, closed loop, as many in flight as
 * ingest has, each sender to its own peer (as bench:messages' private scenario).
 */
async function privateSendRate(): Promise<{ rate: number; errors: number }> {
  const senders = Array.from({ length: CONCURRENCY }, (_, i) => `${runId}-ps${i}`);
  const peers = Array.from({ length: CONCURRENCY }, (_, i) => `${runId}-pr${i}`);
  await createUsers([...senders, ...peers]);
  let accepted = 0;
  let errors = 0;
  const start = performance.now();
  const deadline = start + SEND_SECONDS * 1000;
  await Promise.all(
    senders.map(async (sender, i) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const res = await api.sendText(sender, PRIVATE, peers[i], `bench ${runId} ${i}:${n}`).catch(() => ({ status: 0 }));
        if (res.status === 201) accepted++;
        else errors++;
      }
    }),
  );
  return { rate: accepted / ((performance.now() - start) / 1000), errors };
}

interface Ingest {
  calls: number;
  errors: number;
  seconds: number;
  latencies: number[];
}

/** Every reader marks the group read; a share first sends receipts for every message. */
async function ingest(readers: string[], groupId: string, uids: string[]): Promise<Ingest> {
  const latencies: number[] = [];
  let calls = 0;
  let errors = 0;
  const call = async (fn: () => Promise<{ status: number; body: unknown }>) => {
    const start = performance.now();
    const res = await fn().catch((e) => ({ status: 0, body: String(e) }));
    calls++;
    if (res.status === 200) latencies.push(performance.now() - start);
    else if (errors++ < 5) console.log(`  error: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
  };
  const shuffled = [...readers].sort(() => Math.random() - 0.5);
  const start = performance.now();
  await pool(shuffled, CONCURRENCY, async (userId, i) => {
    if ((i * 100) / shuffled.length < RECEIPT_PERCENT) {
      // Half of those receipts go first (rows a position covers later), half after the position.
      if (i % 2 === 0) await call(() => api.post('/v1/receipts', { messageUIds: uids }, { as: userId }));
      await call(() => api.post(`/v1/conversations/${GROUP}/${groupId}/read`, {}, { as: userId }));
      if (i % 2 === 1) await call(() => api.post('/v1/receipts', { messageUIds: uids }, { as: userId }));
    } else {
      await call(() => api.post(`/v1/conversations/${GROUP}/${groupId}/read`, {}, { as: userId }));
    }
  });
  return { calls, errors, seconds: (performance.now() - start) / 1000, latencies };
}

/** What the run left in the receipts schema: rows per message come only from explicit receipts. */
async function storedRows(groupId: string, uids: string[]): Promise<Record<string, number> | null> {
  const client = new Client({ connectionString: DATABASE_URL, options: '-c search_path=receipts' });
  try {
    await client.connect();
    const count = async (sql: string, params: unknown[]) => Number((await client.query(sql, params)).rows[0].n);
    return {
      receipts: await count('SELECT count(*) AS n FROM message_receipts WHERE message_uid = ANY($1)', [uids]),
      positions: await count('SELECT count(*) AS n FROM read_positions WHERE conversation_id = $1', [`${GROUP}:${groupId}`]),
      counts: await count('SELECT count(*) AS n FROM receipt_counts WHERE message_uid = ANY($1)', [uids]),
    };
  } catch (e) {
    console.log(`  (rows not counted: ${(e as Error).message})`);
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const readers = Array.from({ length: MEMBERS - 1 }, (_, i) => `${runId}-m${i}`);
  const sender = `${runId}-sender`;
  const groupId = `${runId}-g`;
  console.log(`run ${runId} against ${BASE_URL}: ${MEMBERS} members, ${MESSAGES} messages, ${RECEIPT_PERCENT}% also send receipts`);

  const nc = await connect({ servers: NATS_URL });
  const updates: Array<{ at: number; data: { messageUId: string; readCount: number } }> = [];
  nc.subscribe(`${PREFIX}.events.receipts.receipt.updated`, {
    callback: (_e, m) => void updates.push({ at: performance.now(), data: m.json<{ data: { messageUId: string; readCount: number } }>().data }),
  });

  const sent = await setup(sender, readers, groupId);
  const uids = sent.map((m) => m.messageUId);

  console.log(`private sends (${CONCURRENCY} in flight, ${SEND_SECONDS} s)`);
  const sends = await privateSendRate();
  console.log(`  ${round(sends.rate)} msg/s, ${sends.errors} errors`);
  // The pipeline drains the sends before ingest starts, so the two phases do not overlap.
  await sleep(3000);
  const before = updates.length;

  console.log('ingest');
  const run = await ingest(readers, groupId, uids);
  const ingestedAt = performance.now();
  const everyone = readers.length;
  await until('final counts', async () => {
    for (let i = 0; i < uids.length; i += 100) {
      const res = await api.get(`/v1/receipts?messageUIds=${uids.slice(i, i + 100).join(',')}`, { as: sender });
      if (res.status !== 200 || res.body.receipts.some((r: { readCount: number }) => r.readCount !== everyone)) return false;
    }
    return true;
  }, 600_000, 50);
  const settled = performance.now() - ingestedAt;

  console.log('lag');
  const lag = await readLag(sender, readers, groupId, updates);

  // After the lag run: its message has been read by LAG_SAMPLES members only, so its unread
  // pages are full pages of members who have not read it.
  console.log('queries');
  const queries = await timeQueries(sender, uids, lag.messageUId);
  const analyzed = ANALYZE && (await analyze()) ? await timeQueries(sender, uids, lag.messageUId) : null;
  const rows = await storedRows(groupId, uids);
  // Counted last: the relay publishes what the flusher appended a moment after the counts show.
  const ownUpdates = updates.slice(before).filter((u) => uids.includes(u.data.messageUId)).length;
  await nc.close();

  const readFacts = everyone * MESSAGES;
  const callRate = run.calls / run.seconds;
  console.log();
  console.table({
    ingest: {
      'calls/s': round(callRate),
      'member-message reads/s': Math.round(readFacts / run.seconds),
      'call p50 ms': round(percentile(run.latencies, 50)),
      'call p99 ms': round(percentile(run.latencies, 99)),
      errors: run.errors,
    },
  });
  console.table(queries);
  if (analyzed) {
    console.log('after ANALYZE:');
    console.table(analyzed);
  }
  console.log(`receipt.updated events for the ${MESSAGES} messages: ${ownUpdates} (for ${readFacts} member-message reads; coalesced)`);
  console.log(`counts final ${round(settled / 1000)} s after the last call was answered`);
  console.log(`lag read -> sender's receipt.updated: p50 ${lag.p50} ms, p99 ${lag.p99} ms (${lag.n} samples, ${lag.timeouts} timeouts)`);
  if (rows) {
    const receiptsPerMessage = rows.receipts / MESSAGES;
    console.log(
      `rows stored: ${rows.receipts} receipts (${round(receiptsPerMessage)} per message, all from explicit receipts; ` +
        `positions wrote none per message), ${rows.positions} read positions (one per member per conversation), ${rows.counts} count rows`,
    );
  }
  const pageP99 = Math.max(queries[READ_PAGE].p99, queries[UNREAD_PAGE].p99);
  const ratio = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
  console.log();
  console.log(`targets (issue 9, group of ${MEMBERS}):`);
  console.log(
    `  ingest ${round(callRate)} calls/s / private send ${round(sends.rate)} msg/s: ratio ${ratio(callRate / sends.rate)} (target >= 1)` +
      `${run.errors + sends.errors > 0 ? `, ${run.errors + sends.errors} errors` : ''}`,
  );
  console.log(`  counts for 20 messages p99 ${queries[COUNTS_20].p99} ms / ${COUNTS_P99_TARGET_MS} ms: ratio ${ratio(queries[COUNTS_20].p99 / COUNTS_P99_TARGET_MS)} (target <= 1)`);
  console.log(`  readers page of ${PAGE} p99 ${pageP99} ms / ${PAGE_P99_TARGET_MS} ms: ratio ${ratio(pageP99 / PAGE_P99_TARGET_MS)} (target <= 1)`);
}

/**
 * p50/p99 of the sender's queries: counts for a history page (20 distinct messages) and for 100,
 * readers pages at a few cursors: read pages of messages everyone read, unread pages of a message
 * few read (`fewRead`), and unread pages of messages everyone read (empty).
 */
async function timeQueries(sender: string, uids: string[], fewRead: string): Promise<Record<string, { p50: number; p99: number; errors: number }>> {
  const pick = (n: number) => Array.from({ length: Math.min(n, uids.length) }, () => uids[Math.floor(Math.random() * uids.length)]);
  const distinct = (n: number) => [...uids].sort(() => Math.random() - 0.5).slice(0, n);
  const cursors = await readerCursors(sender, uids[0], 'read');
  const unreadCursors = await readerCursors(sender, fewRead, 'unread');
  return {
    [COUNTS_20]: await sample(QUERY_SAMPLES, () => api.get(`/v1/receipts?messageUIds=${distinct(20).join(',')}`, { as: sender })),
    'GET /v1/receipts (100 ids)': await sample(QUERY_SAMPLES, () => api.get(`/v1/receipts?messageUIds=${uids.slice(0, 100).join(',')}`, { as: sender })),
    [READ_PAGE]: await sample(QUERY_SAMPLES, (i) =>
      api.get(`/v1/messages/${pick(1)[0]}/readers?filter=read&limit=${PAGE}${cursors[i % cursors.length]}`, { as: sender }),
    ),
    [UNREAD_PAGE]: await sample(QUERY_SAMPLES, (i) =>
      api.get(`/v1/messages/${fewRead}/readers?filter=unread&limit=${PAGE}${unreadCursors[i % unreadCursors.length]}`, { as: sender }),
    ),
    [`readers page, filter=unread (${PAGE}, none left)`]: await sample(QUERY_SAMPLES, () =>
      api.get(`/v1/messages/${pick(1)[0]}/readers?filter=unread&limit=${PAGE}`, { as: sender }),
    ),
  };
}

async function analyze(): Promise<boolean> {
  const client = new Client({ connectionString: DATABASE_URL });
  try {
    await client.connect();
    for (const t of ['read_positions', 'message_receipts', 'uncovered_receipts', 'group_members', 'receipt_messages', 'receipt_counts']) {
      await client.query(`ANALYZE receipts.${t}`);
    }
    return true;
  } catch (e) {
    console.log(`  (not analyzed: ${(e as Error).message})`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A few cursors into the readers list, so pages deep in the list are timed too. */
async function readerCursors(sender: string, uid: string, filter: 'read' | 'unread'): Promise<string[]> {
  const cursors = [''];
  let cursor = '';
  for (let i = 0; i < 10; i++) {
    const res = await api.get(`/v1/messages/${uid}/readers?filter=${filter}&limit=${PAGE}${cursor}`, { as: sender });
    if (res.status !== 200 || res.body.isFinished) break;
    cursor = `&cursor=${res.body.nextCursor}`;
    cursors.push(cursor);
  }
  return cursors;
}

/**
 * A fresh message; members read it one at a time, and each read is followed until a
 * receipt.updated for it reports the new count.
 */
async function readLag(sender: string, readers: string[], groupId: string, updates: Array<{ at: number; data: { messageUId: string; readCount: number } }>) {
  const res = await api.sendText(sender, GROUP, groupId, `bench ${runId} lag`, { needReadReceipt: true });
  ok(res, 'send lag message');
  const uid = res.body.messageUId as string;
  await until('lag message known', async () => (await api.get(`/v1/receipts?messageUIds=${uid}`, { as: sender })).status === 200);
  const lags: number[] = [];
  let timeouts = 0;
  for (let i = 0; i < Math.min(LAG_SAMPLES, readers.length); i++) {
    const read = await api.post(`/v1/conversations/${GROUP}/${groupId}/read`, {}, { as: readers[i] });
    ok(read, 'lag read');
    const answered = performance.now();
    const seen = async () => updates.some((u) => u.data.messageUId === uid && u.data.readCount >= i + 1);
    try {
      await until('receipt.updated', seen, 5_000, 2);
      const event = updates.find((u) => u.data.messageUId === uid && u.data.readCount >= i + 1)!;
      lags.push(Math.max(0, event.at - answered));
    } catch {
      timeouts++;
    }
    await sleep(20);
  }
  return { p50: round(percentile(lags, 50)), p99: round(percentile(lags, 99)), n: lags.length, timeouts, messageUId: uid };
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
