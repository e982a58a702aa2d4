import { MAX_EXPANSION_BYTES, Subjects } from '@im/contracts';
import { DB } from '@im/service-kit';
import { ApiClient, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { Kysely } from 'kysely';

/**
 * Nothing a user sends makes a reply too big for one NATS message (issue 11): pages are cut by
 * bytes and continue, a reply that still would not fit is answered with REPLY_TOO_LARGE (the
 * service stays up), and an expansion is bounded to 64 KB in all.
 */
describe('reply and expansion limits e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let nc: NatsConnection;
  let subjects: Subjects;

  /** Just under the 128 KB content limit: nine of them are over NATS's 1 MB max_payload. */
  const big = (c: string) => c.repeat(127 * 1024);
  const value = (c: string) => c.repeat(4096);

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { only: ['messaging', 'expansions'] });
    api = stack.api;
    subjects = new Subjects(env.prefix);
    nc = await connect({ servers: env.natsUrl });
    for (const id of ['alice', 'bob', 'p1', 'p2', 'p3', 'p4', 'p5']) await api.put(`/v1/users/${id}`, { name: id });
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
    await env?.dispose();
  });

  const history = (query: string) => api.get(`/v1/conversations/1/alice/messages${query}`, { as: 'bob' });

  it('answers a history page over 1 MB shorter, with where to continue, and stays up', async () => {
    for (let i = 1; i <= 9; i++) expect((await api.sendText('alice', 1, 'bob', big(String(i)))).status).toBe(201);
    await eventually(async () => expect((await history('?limit=1')).body.messages[0].seq).toBe(9));

    const first = await history('');
    expect(first.status).toBe(200);
    expect(Buffer.byteLength(JSON.stringify(first.body))).toBeLessThan(1024 * 1024);
    expect(first.body.messages.length).toBeGreaterThan(0);
    expect(first.body.messages.length).toBeLessThan(9);
    expect(first.body.hasMore).toBe(true);
    const seqs: number[] = first.body.messages.map((m: { seq: number }) => m.seq);
    expect(first.body.nextBefore).toBe(seqs[seqs.length - 1]);

    let page = first;
    while (page.body.hasMore) {
      page = await history(`?before=${page.body.nextBefore}`);
      expect(page.status).toBe(200);
      seqs.push(...page.body.messages.map((m: { seq: number }) => m.seq));
    }
    expect(seqs).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(page.body.nextBefore).toBeNull();

    // Still up: a later message is stored and reaches the conversation list.
    const later = await api.sendText('alice', 1, 'bob', 'still here');
    expect(later.status).toBe(201);
    await eventually(async () => {
      const list = await api.get('/v1/conversations', { as: 'bob' });
      expect(list.status).toBe(200);
      expect(list.body.conversations[0].lastMessage.content.content).toBe('still here');
    });
  });

  it('pages the conversation list by bytes too, with a cursor that continues it', async () => {
    for (const peer of ['p1', 'p2', 'p3', 'p4', 'p5']) expect((await api.sendText(peer, 1, 'bob', big(peer[1]))).status).toBe(201);
    await eventually(async () => expect((await api.get('/v1/conversations?limit=1', { as: 'bob' })).body.conversations[0].targetId).toBe('p5'));

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: any } = await api.get(`/v1/conversations${cursor ? `?cursor=${cursor}` : ''}`, { as: 'bob' });
      expect(res.status).toBe(200);
      expect(Buffer.byteLength(JSON.stringify(res.body))).toBeLessThan(1024 * 1024);
      seen.push(...res.body.conversations.map((c: { targetId: string }) => c.targetId));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThan(1);
    // Every conversation exactly once (sends in the same millisecond may order by id instead).
    expect([...seen].sort()).toEqual(['alice', 'p1', 'p2', 'p3', 'p4', 'p5']);
    expect((await api.get('/v1/conversations?cursor=not-a-cursor', { as: 'bob' })).body.error.details[0].path).toBe('cursor');
  });

  describe('expansions', () => {
    const expansion = (n: number, from = 0) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${from + i}`, value('v')]));
    const patch = (uid: string, body: unknown) => api.call('PATCH', `/v1/messages/${uid}/expansion`, body);
    const getExpansion = (uid: string) => api.get(`/v1/messages/${uid}/expansion`, { as: 'alice' });

    it('refuses a send whose expansion is over 64 KB in all (413), storing nothing', async () => {
      const over = await api.sendText('alice', 1, 'p1', 'too much', { canIncludeExpansion: true, expansion: expansion(16) });
      expect([over.status, over.body.error.code, over.body.error.details]).toEqual([413, 'CONTENT_TOO_LARGE', { field: 'expansion', limit: MAX_EXPANSION_BYTES }]);
      // The next message is the conversation's first: the refused one took no seq, nothing was stored.
      const next = await api.sendText('alice', 1, 'p1', 'fits', { canIncludeExpansion: true, expansion: expansion(15) });
      expect(next.status).toBe(201);
      expect(next.body.seq).toBe(1);
      await eventually(async () => expect(Object.keys((await getExpansion(next.body.messageUId)).body)).toHaveLength(15));
    });

    it('refuses a PATCH that would take the whole map over 64 KB (413), changing nothing; removing still works', async () => {
      const uid = (await api.sendText('alice', 1, 'p2', 'poll', { canIncludeExpansion: true })).body.messageUId;
      expect((await getExpansion(uid)).status).toBe(200);
      expect((await patch(uid, { set: expansion(15) })).status).toBe(200);
      const before = (await getExpansion(uid)).body;

      const over = await patch(uid, { set: expansion(1, 15) });
      expect([over.status, over.body.error.code]).toEqual([413, 'CONTENT_TOO_LARGE']);
      const whole = await patch(uid, { clear: true, set: expansion(17) });
      expect(whole.status).toBe(413);
      expect((await getExpansion(uid)).body).toEqual(before);

      // Making room in the same call is a change that fits.
      const swapped = await patch(uid, { set: expansion(1, 15), remove: ['k0'] });
      expect(swapped.status).toBe(200);
      expect(Object.keys(swapped.body).sort()).toEqual(Object.keys(expansion(15, 1)).sort());
    });

    it('answers a reply too big for one NATS message with REPLY_TOO_LARGE, over raw NATS and HTTP, and stays up', async () => {
      const uid = (await api.sendText('alice', 1, 'p3', 'legacy', { canIncludeExpansion: true })).body.messageUId;
      expect((await getExpansion(uid)).status).toBe(200);
      // Rows as an expansion could hold before the 64 KB limit existed: 300 keys of 4096 characters.
      const db = stack.services.get('expansions')!.get(DB) as Kysely<any>;
      const rows = Array.from({ length: 300 }, (_, i) => ({ message_uid: uid, key: `old${i}`, value: value('o'), version: 1, updated_at: Date.now() }));
      await db.insertInto('expansion_keys').values(rows).execute();

      const raw = await nc.request(subjects.rpc('expansions', 'expansions.get'), JSON.stringify({ actor: { userId: 'alice', isServer: false }, messageUId: uid }), { timeout: 10_000 });
      expect(raw.json()).toEqual({
        ok: false,
        error: { code: 'REPLY_TOO_LARGE', status: 413, message: expect.any(String), details: { bytes: expect.any(Number), limit: nc.info!.max_payload } },
      });
      const http = await getExpansion(uid);
      expect([http.status, http.body.error.code]).toEqual([413, 'REPLY_TOO_LARGE']);

      // The service is still there and answers the next request.
      const other = (await api.sendText('alice', 1, 'p4', 'after', { canIncludeExpansion: true, expansion: { a: '1' } })).body.messageUId;
      await eventually(async () => expect((await getExpansion(other)).body).toEqual({ a: { v: '1', version: 1, ts: expect.any(Number) } }));
    });
  });
});
