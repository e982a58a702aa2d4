import { AppError, expansionBytes, MAX_EXPANSION_BYTES, MAX_KEYS_PER_MESSAGE, PatchExpansionBody, RED_PACKET_KEYS } from '@im/contracts';
import { packetExpansion } from '../red-packets/red-packet.decider';
import { decide, evolve, ExpansionCommand, ExpansionEvent, ExpansionState, initialState, leftOut } from './expansion.decider';

const ref = { conversationType: 3, conversationId: '3:g', senderId: 'ann', targetId: 'g', directedUserIds: null };
const message = { messageUId: 'M1', ref };
const at = 5_000;

/** given the message's keys (each written once, at time 1), when the command, then its event or refusal. */
function given(keys: Record<string, string>, reservedKeys: readonly string[] = []): ExpansionState {
  const set = Object.entries(keys).map(([k, value]) => [k, { value, version: 1, ts: 1 }] as const);
  return { keys: new Map(set), version: set.length > 0 ? 1 : 0, reservedKeys };
}
const when = (state: ExpansionState, command: ExpansionCommand): ExpansionEvent[] => decide(command, state);
const patch = (body: PatchExpansionBody, isServer = false): ExpansionCommand => ({
  type: 'patch',
  message,
  operatorId: 'bob',
  isServer,
  patch: body,
});
const after = (state: ExpansionState, command: ExpansionCommand) => when(state, command).reduce((s, e) => evolve(s, e, at), state);
function refusal(state: ExpansionState, command: ExpansionCommand): { code: string; status: number; details?: unknown } {
  try {
    when(state, command);
  } catch (e) {
    if (e instanceof AppError) return { code: e.code, status: e.status, ...(e.details ? { details: e.details } : {}) };
    throw e;
  }
  throw new Error('expected a refusal');
}
const keys = (n: number, prefix = 'k', value = 'v') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, value]));

describe('expansion decider: a PATCH', () => {
  it('given two keys, when one is set and the other removed, then one expansion.updated a version up, naming the message', () => {
    const state = given({ a: '1', b: '2' });
    expect(when(state, patch({ set: { a: 'x' }, remove: ['b'] }))).toEqual([
      {
        type: 'expansion.updated',
        data: {
          ...{ messageUId: 'M1', conversationId: '3:g', conversationType: 3, targetId: 'g', senderId: 'ann' },
          ...{ updated: { a: 'x' }, removed: ['b'], cleared: false, version: 2, operatorId: 'bob', reason: 'update' },
        },
      },
    ]);
    const next = after(state, patch({ set: { a: 'x' }, remove: ['b'] }));
    expect([...next.keys]).toEqual([['a', { value: 'x', version: 2, ts: at }]]);
    expect(next.version).toBe(2);
  });

  it('given any keys, when a patch changes nothing (a missing key removed), then no event', () => {
    expect(when(given({ a: '1' }), patch({ remove: ['zzz'] }))).toEqual([]);
    expect(when(given({}), patch({ clear: true }))).toEqual([]);
  });

  it('given keys, when cleared and set in one call, then cleared first: the set keys start again at version 1', () => {
    const [e] = when(given(keys(3)), patch({ clear: true, set: { a: '1' }, remove: ['k0'] }));
    expect(e.data).toMatchObject({ cleared: true, updated: { a: '1' }, removed: [] });
    expect([...after(given(keys(3)), patch({ clear: true, set: { a: '1' } })).keys]).toEqual([['a', { value: '1', version: 1, ts: at }]]);
  });

  it('when a user sets 21 keys in one call, then 422 TOO_MANY_KEYS_PER_CALL; 20 pass, and 100 with the server key, 101 not', () => {
    expect(when(given({}), patch({ set: keys(20, 'n') }))).toHaveLength(1);
    expect(refusal(given({}), patch({ set: keys(21, 'n') }))).toMatchObject({ code: 'TOO_MANY_KEYS_PER_CALL', status: 422 });
    expect(when(given({}), patch({ set: keys(100, 'n') }, true))).toHaveLength(1);
    expect(refusal(given({}), patch({ set: keys(101, 'n') }, true)).code).toBe('TOO_MANY_KEYS_PER_CALL');
  });

  it('given 281 keys, when 20 more are set, then 422 EXPANSION_KEY_LIMIT whole; room made in the same call is room', () => {
    expect(when(given(keys(280)), patch({ set: keys(20, 'n') }))).toHaveLength(1);
    expect(refusal(given(keys(281)), patch({ set: keys(20, 'n') }))).toMatchObject({
      code: 'EXPANSION_KEY_LIMIT',
      status: 422,
      details: { limit: MAX_KEYS_PER_MESSAGE, wouldHave: 301 },
    });
    expect(after(given(keys(300)), patch({ set: { n0: 'x' }, remove: ['k0'] })).keys.size).toBe(300);
    expect(after(given(keys(300)), patch({ set: { k5: 'new' } })).keys.get('k5')).toEqual({ value: 'new', version: 2, ts: at });
  });

  it('given a key at version 3, when set expecting 3, then written; expecting 2, then 409 with the current value', () => {
    const state: ExpansionState = { keys: new Map([['open', { value: 'false', version: 3, ts: 7 }]]), version: 3, reservedKeys: [] };
    expect(after(state, patch({ set: { open: 'true' }, expectedVersions: { open: 3 } })).keys.get('open')?.version).toBe(4);
    expect(refusal(state, patch({ set: { open: 'true' }, expectedVersions: { open: 2 } }))).toEqual({
      code: 'EXPANSION_VERSION_CONFLICT',
      status: 409,
      details: { current: { open: { v: 'false', version: 3, ts: 7 } } },
    });
    expect(when(state, patch({ set: { fresh: '1' }, expectedVersions: { fresh: 0 } }))).toHaveLength(1);
    expect(refusal(state, patch({ set: { open: 'x' }, expectedVersions: { open: 0 } })).status).toBe(409);
  });
});

describe('expansion decider: the 64 KB bound on the whole expansion', () => {
  const big = (n: number, prefix = 'k') => keys(n, prefix, 'v'.repeat(4096));

  it('counts the serialized { key: value } JSON', () => {
    expect(expansionBytes([['a', 'é']])).toBe(Buffer.byteLength('{"a":"é"}'));
    expect(MAX_EXPANSION_BYTES).toBe(64 * 1024);
  });

  it('given 14 full values, when one more is set, then written; given 15, then 413 CONTENT_TOO_LARGE whole', () => {
    expect(when(given(big(14)), patch({ set: big(1, 'n') }))).toHaveLength(1);
    expect(refusal(given(big(15)), patch({ set: big(1, 'n') }))).toEqual({
      code: 'CONTENT_TOO_LARGE',
      status: 413,
      details: { field: 'expansion', limit: MAX_EXPANSION_BYTES },
    });
    // Overwriting with a longer value counts the new value, not the old one.
    expect(refusal(given({ ...big(15), small: 'x' }), patch({ set: { small: 'v'.repeat(4096) } }, true)).status).toBe(413);
  });

  it('given a map over the bound (a red packet took it a few bytes over), when a change shrinks it, then it passes', () => {
    const over = given({ ...big(15), claimed: 'x'.repeat(4000) });
    expect(when(over, patch({ remove: ['k0'] }))[0].data.removed).toEqual(['k0']);
    expect(when(over, patch({ set: { k0: 'shorter' } }))).toHaveLength(1);
    expect(refusal(over, patch({ set: { extra: '1' } })).status).toBe(413);
  });
});

describe("expansion decider: a red packet's keys", () => {
  const initial = packetExpansion({ count: 3, totalAmount: 60, claimedCount: 0, status: 'unclaimed' });

  it('given a packet message, when a PATCH sets, removes or clears one of its keys, then 422 RESERVED_EXPANSION_KEY; others pass', () => {
    for (const k of RED_PACKET_KEYS) {
      expect(refusal(given(initial, RED_PACKET_KEYS), patch({ set: { [k]: 'x', mine: '1' } }, true))).toMatchObject({
        code: 'RESERVED_EXPANSION_KEY',
        status: 422,
        details: { keys: [k], owner: 'red packet' },
      });
      expect(refusal(given(initial, RED_PACKET_KEYS), patch({ remove: [k] })).code).toBe('RESERVED_EXPANSION_KEY');
    }
    expect(refusal(given(initial, RED_PACKET_KEYS), patch({ clear: true })).code).toBe('RESERVED_EXPANSION_KEY');
    expect(when(given(initial, RED_PACKET_KEYS), patch({ set: { mine: '1' }, remove: ['other'] }))).toHaveLength(1);
    // On any other message the same names are ordinary keys.
    expect(when(given(initial), patch({ set: { status: 'x' }, clear: true }))).toHaveLength(1);
  });

  it('given a packet message, written yet or not, then members get the limit minus its five keys', () => {
    for (const current of [initial, {}]) {
      expect(
        when(given({ ...current, ...keys(MAX_KEYS_PER_MESSAGE - 6, 'm') }, RED_PACKET_KEYS), patch({ set: { one: 'more' } }, true)),
      ).toHaveLength(1);
      const filled = given({ ...current, ...keys(MAX_KEYS_PER_MESSAGE - 5, 'm') }, RED_PACKET_KEYS);
      expect(refusal(filled, patch({ set: { one: 'more' } }, true)).code).toBe('EXPANSION_KEY_LIMIT');
      expect(when(filled, patch({ set: { one: 'more' }, remove: ['m0'] }, true))).toHaveLength(1);
    }
  });

  it('given members filled every key they may, when the packet mirrors its state, then all five fit; later only what changed', () => {
    const mirror = (wanted: Record<string, string>): ExpansionCommand => ({ type: 'mirrorPacket', message, wanted });
    const filled = given(keys(MAX_KEYS_PER_MESSAGE - 5, 'm'), RED_PACKET_KEYS);
    const claimed = packetExpansion({ count: 3, totalAmount: 60, claimedCount: 1, status: 'partial' });
    const first = after(filled, mirror(claimed));
    expect([first.keys.size, leftOut(claimed, first)]).toEqual([MAX_KEYS_PER_MESSAGE, []]);
    const done = packetExpansion({ count: 3, totalAmount: 60, claimedCount: 3, status: 'claimed' });
    expect(when(first, mirror(done))[0].data).toMatchObject({
      updated: { open: 'true', claimed: '3', status: 'claimed' },
      operatorId: null,
      reason: 'red_packet',
    });
    expect(after(first, mirror(done)).keys.get('open')).toEqual({ value: 'true', version: 2, ts: at });
    expect(when(after(first, mirror(done)), mirror(done))).toEqual([]);
  });

  it('given keys from before these rules (a packet key gone, no room), when mirrored, then the rest update, one is left out', () => {
    const legacy = given({ ...keys(MAX_KEYS_PER_MESSAGE - 4, 'm'), open: 'false', count: '3', amount: '60', status: 'partial' });
    const done = packetExpansion({ count: 3, totalAmount: 60, claimedCount: 3, status: 'claimed' });
    const next = after(legacy, { type: 'mirrorPacket', message, wanted: done });
    expect(leftOut(done, next)).toEqual(['claimed']);
    expect(next.keys.get('status')?.value).toBe('claimed');
    expect(next.keys.size).toBe(MAX_KEYS_PER_MESSAGE);
  });
});

describe('expansion decider: a message sent with keys, and recalled', () => {
  it('given keys a member wrote first, when the initial expansion lands, then only the fresh keys are set, as the sender', () => {
    const [e] = when(given({ a: 'newer' }), { type: 'initial', message, operatorId: 'ann', expansion: { a: 'old', b: '1' } });
    expect(e.data).toMatchObject({ updated: { b: '1' }, operatorId: 'ann', reason: 'initial' });
    expect(when(given({ a: 'x' }), { type: 'initial', message, operatorId: 'ann', expansion: { a: 'y' } })).toEqual([]);
  });

  it('given keys, when recalled, then cleared; given none, then nothing (a rebuild re-announces nothing)', () => {
    const recall: ExpansionCommand = { type: 'recall', message, operatorId: 'ann' };
    expect(when(given({ a: '1' }), recall)[0].data).toMatchObject({ cleared: true, reason: 'recalled', version: 2 });
    expect(after(given({ a: '1' }), recall).keys.size).toBe(0);
    expect(when(initialState(), recall)).toEqual([]);
  });
});
