import { ImApiError, ImClient, StreamEvent } from '@im/client';
import { ReplySchemas } from '@im/contracts';
import { createTestEnv, eventually, startStack, TEST_API_KEY, TestEnv, TestStack } from '@im/stack';

/**
 * `@im/client` against the running stack: typed calls, errors as ImApiError, a POST retried
 * with the same Idempotency-Key after a lost answer, and the stream with resume and reconnect.
 * Every reply is also parsed with the zod response schema the OpenAPI document is made of.
 */
describe('@im/client e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let server: ImClient;
  const clients: Array<{ close(): void }> = [];

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { only: ['messaging', 'receipts', 'push'] });
    server = new ImClient({ baseUrl: stack.api.baseUrl, serverKey: TEST_API_KEY });
    ReplySchemas.BatchUpsertUsersResult.parse(
      await server.upsertUsers([
        { userId: 'ana', name: 'Ana' },
        { userId: 'bob', name: 'Bob' },
      ]),
    );
  });

  afterAll(async () => {
    clients.forEach((c) => c.close());
    await stack?.close();
    await env?.dispose();
  });

  const userClient = async (userId: string, fetchImpl?: typeof fetch) => {
    const { token } = ReplySchemas.TokenIssued.parse(await server.issueToken(userId, { ttlSeconds: 3600 }));
    return new ImClient({ baseUrl: stack.api.baseUrl, token, fetch: fetchImpl, retryDelayMs: 10 });
  };

  const collect = (client: ImClient, deviceId: string, lastEventId?: string) => {
    const events: StreamEvent[] = [];
    const handle = client.stream({ deviceId, lastEventId, onEvent: (e) => events.push(e), reconnectDelayMs: 50 });
    clients.push(handle);
    return { handle, events, sent: () => events.filter((e) => e.event === 'message.sent').map((e) => (e.data as { data: { messageUId: string } }).data.messageUId) };
  };

  /** The push service learns of a stream from the gateway's presence announcement: wait until one message arrives. */
  const warmUp = async (sender: ImClient, to: string, sent: () => string[]) => {
    await eventually(async () => {
      const { messageUId } = await sender.sendMessage({ conversationType: 1, targetId: to, objectName: 'RC:TxtMsg', content: { content: 'warm-up' } });
      await eventually(async () => expect(sent()).toContain(messageUId), 1_000);
    });
  };

  it('sends through the client and receives through its stream; history and receipts are typed replies', async () => {
    const ana = await userClient('ana');
    const bob = await userClient('bob');
    const inbox = collect(bob, 'phone');
    await inbox.handle.opened;
    await warmUp(ana, 'bob', inbox.sent);

    const sent = ReplySchemas.SendMessageResult.parse(
      await ana.sendMessage({ conversationType: 1, targetId: 'bob', objectName: 'RC:TxtMsg', content: { content: 'hello' }, needReadReceipt: true }),
    );
    await eventually(async () => expect(inbox.sent()).toContain(sent.messageUId));

    // History, the list and receipts are projections: read until they have caught up.
    await eventually(async () => {
      const page = ReplySchemas.HistoryPageView.parse(await bob.getHistory({ conversationType: 1, targetId: 'ana' }, { limit: 5 }));
      expect(page.messages[0]).toMatchObject({ messageUId: sent.messageUId, content: { content: 'hello' } });
      const list = ReplySchemas.ConversationPageView.parse(await bob.listConversations());
      expect(list.conversations[0]).toMatchObject({ targetId: 'ana', lastMessage: expect.objectContaining({ messageUId: sent.messageUId }) });
    });
    ReplySchemas.ReceiptsSent.parse(await bob.sendReceipts([sent.messageUId]));
    await eventually(async () => {
      const receipts = ReplySchemas.ReceiptsView.parse(await ana.getReceipts([sent.messageUId]));
      expect(receipts.receipts).toEqual([expect.objectContaining({ messageUId: sent.messageUId, isPeerRead: true })]);
    });
    ReplySchemas.RecallResult.parse(await ana.recallMessage(sent.messageUId));
  });

  it('answers a refusal as an ImApiError with the named code', async () => {
    const ana = await userClient('ana');
    const refused = await ana.sendMessage({ conversationType: 1, targetId: 'ana', objectName: 'RC:TxtMsg', content: { content: 'me' } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ImApiError);
    expect(refused).toMatchObject({ status: 422, code: 'CANNOT_MESSAGE_SELF' });
    await expect(ana.upsertUser('cy', { name: 'Cy' })).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('retries a POST whose answer was lost with the same Idempotency-Key: one message, the first result', async () => {
    const keys: string[] = [];
    let lose = true;
    // The request reaches the gateway and is acted on; the answer never comes back (once).
    const lossy: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if ((init?.method ?? 'GET') === 'POST') keys.push(new Headers(init?.headers).get('idempotency-key')!);
      if (lose && init?.method === 'POST') {
        lose = false;
        await res.body?.cancel();
        throw new TypeError('fetch failed: connection reset');
      }
      return res;
    };
    const ana = await userClient('ana', lossy);
    const bob = await userClient('bob');
    const reply = await ana.sendMessage({ conversationType: 1, targetId: 'bob', objectName: 'RC:TxtMsg', content: { content: 'exactly once' } });
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    // History is a projection: once a message sent after it shows, a duplicate would show too.
    const sentinel = await ana.sendMessage({ conversationType: 1, targetId: 'bob', objectName: 'RC:TxtMsg', content: { content: 'sentinel' } });
    const page = await eventually(async () => {
      const p = await bob.getHistory({ conversationType: 1, targetId: 'ana' }, { limit: 20 });
      expect(p.messages.map((m) => m.messageUId)).toContain(sentinel.messageUId);
      return p;
    });
    expect(page.messages.filter((m) => (m.content as { content?: string }).content === 'exactly once').map((m) => m.messageUId)).toEqual([reply.messageUId]);
  });

  it('reconnects a broken stream with Last-Event-ID and resumes a new one after lastEventId: nothing is missed', async () => {
    const ana = await userClient('ana');
    const lastEventIds: Array<string | null> = [];
    let breakNext = true;
    // The first stream connection breaks right after its first event; later ones are left alone.
    const breaking: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).includes('/v1/stream')) return res;
      lastEventIds.push(new Headers(init?.headers).get('last-event-id'));
      if (!breakNext) return res;
      breakNext = false;
      return new Response(cutAfterFirstEvent(res.body!), { status: res.status, headers: res.headers });
    };
    const bob = await userClient('bob', breaking);
    const tablet = collect(bob, 'tablet');
    await tablet.handle.opened;
    await warmUp(ana, 'bob', tablet.sent);
    const first = tablet.handle.lastEventId;
    expect(first).not.toBeNull();
    const later = await ana.sendMessage({ conversationType: 1, targetId: 'bob', objectName: 'RC:TxtMsg', content: { content: 'after the break' } });
    await eventually(async () => expect(tablet.sent()).toContain(later.messageUId));
    expect(lastEventIds.slice(0, 2)).toEqual([null, first]);

    tablet.handle.close();
    const resumeFrom = tablet.handle.lastEventId!;
    const missed = await ana.sendMessage({ conversationType: 1, targetId: 'bob', objectName: 'RC:TxtMsg', content: { content: 'while away' } });
    const back = collect(await userClient('bob'), 'tablet', resumeFrom);
    await eventually(async () => expect(back.sent()).toContain(missed.messageUId));
    expect(back.sent()).not.toContain(later.messageUId);
  });

  it('retries a 503 with the same Idempotency-Key once the service is back: the write happens once', async () => {
    const bob = await userClient('bob');
    const seen: Array<{ status: number; key: string | null }> = [];
    // Messaging is down for the first attempt; it is started again before the client sees the 503.
    const restarting: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (init?.method === 'POST') seen.push({ status: res.status, key: new Headers(init.headers).get('idempotency-key') });
      if (res.status === 503) await stack.startService('messaging');
      return res;
    };
    const ana = await userClient('ana', restarting);
    await stack.stopService('messaging');
    const reply = await ana.sendMessage({ conversationType: 1, targetId: 'bob', objectName: 'RC:TxtMsg', content: { content: 'after a 503' } });
    expect(seen.map((s) => s.status)).toEqual([503, 201]);
    expect(seen[1].key).toBe(seen[0].key);
    const sentinel = await ana.sendMessage({ conversationType: 1, targetId: 'bob', objectName: 'RC:TxtMsg', content: { content: 'sentinel 2' } });
    const page = await eventually(async () => {
      const p = await bob.getHistory({ conversationType: 1, targetId: 'ana' }, { limit: 20 });
      expect(p.messages.map((m) => m.messageUId)).toContain(sentinel.messageUId);
      return p;
    });
    expect(page.messages.filter((m) => (m.content as { content?: string }).content === 'after a 503').map((m) => m.messageUId)).toEqual([reply.messageUId]);
  });
});

/** A body that passes the stream through up to the end of its first event with an id, then ends. */
function cutAfterFirstEvent(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let seen = '';
  return new ReadableStream({
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) return controller.close();
      controller.enqueue(value);
      seen += decoder.decode(value, { stream: true });
      if (/(^|\n)id: .*\n(.*\n)*?\n/.test(seen)) {
        await reader.cancel();
        controller.close();
      }
    },
  });
}
