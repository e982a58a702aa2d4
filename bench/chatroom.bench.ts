/**
 * `npm run bench:chatroom`: a chatroom of BENCH_MEMBERS (10,000) joined members, BENCH_ONLINE
 * (1,000) of them with a real-time stream open (GET /v1/stream through the gateway), receives
 * BENCH_MESSAGES (20) messages, one every BENCH_INTERVAL_MS (250). Prints the stream delivery
 * latency p50/p99 from send to arrival over every delivery, how many arrived, and the send's own
 * latency. A chatroom message is delivered live to who is in the room and online: no stored row
 * and no stored delivery per member (PRODUCT.md "Chatrooms").
 *
 * Against a running stack (`npm run stack`): BASE_URL, IM_API_KEY as for the other benches.
 */
import { api, BASE_URL, createUsers, envInt, ok, percentile, pool, range, runId, sleep, timed } from './bench-kit';
import { openStream, StreamStats } from './stream-reader';

const MEMBERS = envInt('BENCH_MEMBERS', 10_000);
const ONLINE = Math.min(envInt('BENCH_ONLINE', 1000), MEMBERS);
const MESSAGES = envInt('BENCH_MESSAGES', 20);
const INTERVAL_MS = envInt('BENCH_INTERVAL_MS', 250);
const DRAIN_TIMEOUT_MS = envInt('BENCH_DRAIN_TIMEOUT_MS', 60_000);

async function main(): Promise<void> {
  console.log(`run ${runId} against ${BASE_URL}: a chatroom of ${MEMBERS}, ${ONLINE} streams, ${MESSAGES} messages`);
  const members = range(MEMBERS, (i) => `${runId}-c${i}`);
  const room = `${runId}-room`;
  console.log('setup');
  await timed(`${MEMBERS} users`, () => createUsers(members));
  ok(await api.put(`/v1/chatrooms/${room}`, { name: room }), 'PUT chatroom');
  await timed(`${MEMBERS} joins`, () => pool(members, 50, async (u) => ok(await api.post(`/v1/chatrooms/${room}/members`, undefined, { as: u }), 'join')));

  const streams: StreamStats = { arrivals: new Map(), events: 0 };
  const closers: Array<() => void> = [];
  const online = members.slice(0, ONLINE);
  await timed(`${ONLINE} streams opened`, () => pool(online, 100, async (u) => void closers.push(await openStream(BASE_URL, u, streams))));

  // The fan-out hears of streams from the gateway's presence announcements: wait until a probe
  // message reaches every stream before measuring.
  await timed('every stream heard of', async () => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const probe = await api.sendText(members[MEMBERS - 1], 4, room, `probe ${runId}`);
      ok(probe, 'probe');
      await sleep(1000);
      if ((streams.arrivals.get(probe.body.messageUId)?.length ?? 0) >= ONLINE) return;
    }
    throw new Error('the streams were not all reached within 30 s');
  });

  const sentAt = new Map<string, number>();
  const sendLatencies: number[] = [];
  const sender = members[MEMBERS - 1];
  for (let i = 0; i < MESSAGES; i++) {
    const t0 = Date.now();
    const res = await api.sendText(sender, 4, room, `bench ${runId} ${i}`);
    ok(res, 'send');
    sendLatencies.push(Date.now() - t0);
    sentAt.set(res.body.messageUId, t0);
    await sleep(INTERVAL_MS);
  }
  const expected = MESSAGES * ONLINE;
  const delivered = () => [...sentAt.keys()].reduce((n, uid) => n + (streams.arrivals.get(uid)?.length ?? 0), 0);
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (delivered() < expected && Date.now() < deadline) await sleep(100);
  closers.forEach((close) => close());

  const latencies = [...sentAt].flatMap(([uid, t0]) => (streams.arrivals.get(uid) ?? []).map((t) => t - t0));
  console.table([
    {
      members: MEMBERS,
      'open streams': ONLINE,
      messages: MESSAGES,
      deliveries: `${delivered()} / ${expected}`,
      'delivery p50 ms': percentile(latencies, 50),
      'delivery p99 ms': percentile(latencies, 99),
      'send p99 ms': percentile(sendLatencies, 99),
    },
  ]);
  console.log(`chatroom of ${MEMBERS}: delivery to ${ONLINE} streams p99 ${percentile(latencies, 99)} ms (${delivered()} of ${expected} delivered)`);
  process.exit(delivered() === expected ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
