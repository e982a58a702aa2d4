import { conversationId, EventEnvelope, Subjects } from '@im/contracts';
import { createDb } from '@im/db';
import { ApiResponse, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';
import { sql } from 'kysely';
import { jetstreamManager, JetStreamManager } from '@nats-io/jetstream';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { Client } from 'pg';
import { lockConversation } from '../src/messages/conversation-head';

/**
 * Events of one conversation reach the stream in the order the conversation gave them (seq,
 * stream version), whatever a command writes besides. The relay publishes in commit order
 * (commit-order.ts); a command holds its conversation's lock until it commits, so commit order
 * is the conversation's order. (The first relay published in transaction-id order, which a
 * write before the conversation lock could invert: these rounds were written against that.)
 *
 * The interleavings are forced, not hoped for: triggers hold the first command inside its
 * transaction, just after such a write, on an advisory lock the test holds, until the second
 * command has either finished or is queued behind it.
 */
describe('send order on the stream', () => {
  let env: TestEnv;
  let stack: TestStack;
  let pg: Client;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const HOLD = 424242;
  const conv = conversationId(1, 'alice', 'bob');

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { only: ['messaging'] });
    for (const id of ['alice', 'bob']) expect((await stack.api.put(`/v1/users/${id}`, { name: id })).status).toBe(200);
    pg = new Client({ connectionString: env.databaseUrl, options: '-c search_path=messaging' });
    await pg.connect();
    // AFTER INSERT: the key row is written (the transaction has its id) when the send stops here.
    await pg.query(`
      CREATE FUNCTION hold_key_claim() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_advisory_xact_lock(${HOLD}); RETURN NULL; END $$`);
    await pg.query('CREATE TRIGGER hold_key_claim AFTER INSERT ON idempotency_keys FOR EACH ROW EXECUTE FUNCTION hold_key_claim()');
    // Recall and streaming update the message's row; sends only insert theirs.
    await pg.query('CREATE TRIGGER hold_message_change AFTER UPDATE ON message_index FOR EACH ROW EXECUTE FUNCTION hold_key_claim()');
    nc = await connect({ servers: env.natsUrl });
    jsm = await jetstreamManager(nc);
  });

  afterAll(async () => {
    await nc?.close();
    await pg?.end();
    await stack?.close();
    await env?.dispose();
  });

  /** Backends of this database waiting on a lock (the advisory HOLD, a row, the conversation). */
  const lockWaiters = async () =>
    (await pg.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0]
      .n as number;

  /** The seqs of this conversation's message.sent events, in stream order. */
  const publishedSeqs = async (): Promise<number[]> => {
    const stream = new Subjects(env.prefix).stream('messaging');
    const { state } = await jsm.streams.info(stream);
    const seqs: number[] = [];
    for (let s = state.first_seq; s <= state.last_seq && state.messages > 0; s++) {
      const e = (await jsm.streams.getMessage(stream, { seq: s }))?.json<EventEnvelope>();
      const data = e?.data as { conversationId?: string; seq?: number } | undefined;
      if (e?.type === 'message.sent' && data?.conversationId === conv) seqs.push(data.seq!);
    }
    return seqs;
  };

  /**
   * Starts `held` and waits until the trigger holds it; starts `other` and waits until it has
   * finished or is queued behind `held`; then lets both go.
   */
  const race = async (held: () => Promise<ApiResponse>, other: () => Promise<ApiResponse>): Promise<[ApiResponse, ApiResponse]> => {
    await pg.query('SELECT pg_advisory_lock($1)', [HOLD]);
    const first = held();
    await eventually(async () => expect(await lockWaiters()).toBe(1));
    let otherSettled = false;
    const second = other().finally(() => (otherSettled = true));
    await eventually(async () => expect(otherSettled || (await lockWaiters()) === 2).toBe(true));
    await pg.query('SELECT pg_advisory_unlock($1)', [HOLD]);
    return Promise.all([first, second]);
  };

  /** The conversation stream's versions in the relay's publishing order (commit number, position). */
  const versionsInRelayOrder = async (): Promise<number[]> =>
    (
      await pg.query(
        `SELECT e.stream_version FROM events e JOIN event_commits c ON c.transaction_id = e.transaction_id
          WHERE e.stream_id = $1 ORDER BY c.commit_seq, e.global_position`,
        [`conversation-${conv}`],
      )
    ).rows.map((r) => r.stream_version as number);
  const ascending = (xs: number[]) => [...xs].sort((x, y) => x - y);

  it('publishes a keyed send and a plain one in seq order, every time', async () => {
    const rounds = 6;
    const accepted: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const [a, b] = await race(
        () => stack.api.sendText('alice', 1, 'bob', `keyed ${round}`, {}, { headers: { 'idempotency-key': `k${round}` } }),
        () => stack.api.sendText('bob', 1, 'alice', `plain ${round}`),
      );
      expect([a.status, b.status]).toEqual([201, 201]);
      accepted.push(a.body.seq, b.body.seq);
    }
    expect([...accepted].sort((x, y) => x - y)).toEqual(Array.from({ length: rounds * 2 }, (_, i) => i + 1));
    const published = await eventually(async () => {
      const seqs = await publishedSeqs();
      expect(seqs).toHaveLength(rounds * 2);
      return seqs;
    });
    expect(published).toEqual(ascending(published));
  });

  it('keeps a recall or a stream chunk and a racing send in version order, every time', async () => {
    for (let round = 0; round < 3; round++) {
      const m = await stack.api.sendText('alice', 1, 'bob', `to recall ${round}`);
      const [recall, send] = await race(
        () => stack.api.post(`/v1/messages/${m.body.messageUId}/recall`, {}, { as: 'alice' }),
        () => stack.api.sendText('bob', 1, 'alice', `during recall ${round}`),
      );
      expect([recall.status, send.status]).toEqual([200, 201]);

      const s = await stack.api.post(
        '/v1/messages',
        { conversationType: 1, targetId: 'bob', objectName: 'RC:StreamMsg', content: { content: 'a', seq: 1, complete: false } },
        { as: 'alice' },
      );
      const [chunk, other] = await race(
        () => stack.api.post(`/v1/messages/${s.body.messageUId}/stream`, { content: 'b', seq: 2, complete: true }, { as: 'alice' }),
        () => stack.api.sendText('bob', 1, 'alice', `during chunk ${round}`),
      );
      expect([chunk.status, other.status]).toEqual([200, 201]);
    }
    const versions = await versionsInRelayOrder();
    expect(versions).toEqual(ascending(versions));
  });

  it('refuses the conversation lock once the transaction has written', async () => {
    const db = createDb({ url: env.databaseUrl, schema: 'messaging' });
    try {
      const late = db.transaction().execute(async (trx) => {
        await sql`SELECT pg_current_xact_id()`.execute(trx); // assigns the transaction id, as any write does
        await lockConversation(trx, conv);
      });
      await expect(late).rejects.toThrow(/must come before the transaction's first write/);
    } finally {
      await db.destroy();
    }
  });
});
