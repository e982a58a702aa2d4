import { MAX_KEYS_PER_MESSAGE } from '@im/contracts';
import { KeyState, planPatch } from '../expansions/expansion.rules';
import { planReactionWrite } from '../expansions/reaction-write';
import { packetExpansion } from './red-packet.decider';
import { RED_PACKET_TYPE } from './red-packet-message';
import { assertLeavesPacketKeys, countingPacketKeys, packetKeysOf, RED_PACKET_KEYS } from './red-packet-keys';

const state = (entries: Record<string, string>): Map<string, KeyState> =>
  new Map(Object.entries(entries).map(([k, v]) => [k, { value: v, version: 1, ts: 1 }]));
const own = (n: number, prefix = 'm') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, 'v']));
const initial = packetExpansion({ count: 3, totalAmount: 60, claimedCount: 0, status: 'unclaimed' });

describe("a red packet's own expansion keys", () => {
  it('are exactly the keys the packet writes, and only on a packet message', () => {
    expect(Object.keys(initial).sort()).toEqual([...RED_PACKET_KEYS].sort());
    expect(packetKeysOf(RED_PACKET_TYPE)).toBe(RED_PACKET_KEYS);
    expect(packetKeysOf('RC:TxtMsg')).toEqual([]);
    expect(packetKeysOf(null)).toEqual([]);
  });

  it('cannot be set, removed or cleared by a PATCH; other keys can', () => {
    for (const k of RED_PACKET_KEYS) {
      expect(() => assertLeavesPacketKeys({ set: { [k]: 'x', mine: '1' } }, RED_PACKET_KEYS)).toThrow(
        expect.objectContaining({ code: 'RESERVED_EXPANSION_KEY', status: 422, details: { keys: [k], owner: 'red packet' } }),
      );
      expect(() => assertLeavesPacketKeys({ remove: [k] }, RED_PACKET_KEYS)).toThrow(
        expect.objectContaining({ code: 'RESERVED_EXPANSION_KEY' }),
      );
    }
    expect(() => assertLeavesPacketKeys({ clear: true }, RED_PACKET_KEYS)).toThrow(
      expect.objectContaining({ code: 'RESERVED_EXPANSION_KEY' }),
    );
    expect(() => assertLeavesPacketKeys({ set: { mine: '1' }, remove: ['other'] }, RED_PACKET_KEYS)).not.toThrow();
    // On any other message the same names are ordinary keys.
    expect(() => assertLeavesPacketKeys({ set: { status: 'x' }, clear: true }, [])).not.toThrow();
  });

  it('count against members from the start, written or not: members get the limit minus five', () => {
    for (const current of [state(initial), state({})]) {
      const counted = countingPacketKeys(current, RED_PACKET_KEYS);
      expect(planPatch(counted, { set: own(100) }, true).keyCountAfter).toBe(105);
      const filled = state({ ...Object.fromEntries([...current].map(([k, s]) => [k, s.value])), ...own(MAX_KEYS_PER_MESSAGE - 5) });
      expect(() => planPatch(countingPacketKeys(filled, RED_PACKET_KEYS), { set: { one: 'more' } }, true)).toThrow(
        expect.objectContaining({ code: 'EXPANSION_KEY_LIMIT' }),
      );
      // Room made in the same call is still room.
      expect(planPatch(countingPacketKeys(filled, RED_PACKET_KEYS), { set: { one: 'more' }, remove: ['m0'] }, true).keyCountAfter).toBe(
        MAX_KEYS_PER_MESSAGE,
      );
    }
    expect(countingPacketKeys(state(initial), RED_PACKET_KEYS).get('claimed')).toEqual({ value: '0', version: 1, ts: 1 });
  });

  it("so the packet's update always fits, and a message with no room still takes what fits", () => {
    // Members filled every key they may before the packet wrote any of its own.
    const filled = state(own(MAX_KEYS_PER_MESSAGE - 5));
    const claimed = packetExpansion({ count: 3, totalAmount: 60, claimedCount: 1, status: 'partial' });
    const first = planReactionWrite(filled, claimed);
    expect([first.leftOut, first.plan.keyCountAfter, Object.keys(first.plan.set).length]).toEqual([[], MAX_KEYS_PER_MESSAGE, 5]);
    // Later updates only rewrite what changed.
    const later = planReactionWrite(
      state({ ...own(MAX_KEYS_PER_MESSAGE - 5), ...claimed }),
      packetExpansion({ count: 3, totalAmount: 60, claimedCount: 3, status: 'claimed' }),
    );
    expect(later.plan.set).toEqual({
      open: { value: 'true', version: 2 },
      claimed: { value: '3', version: 2 },
      status: { value: 'claimed', version: 2 },
    });
    expect(later.plan.keyCountAfter).toBe(MAX_KEYS_PER_MESSAGE);
    // Keys written before these rules: one packet key gone and no room. The rest still update.
    const legacy = state({ ...own(MAX_KEYS_PER_MESSAGE - 4), open: 'false', count: '3', amount: '60', status: 'partial' });
    const squeezed = planReactionWrite(legacy, packetExpansion({ count: 3, totalAmount: 60, claimedCount: 3, status: 'claimed' }));
    expect(squeezed.leftOut).toEqual(['claimed']);
    expect(Object.keys(squeezed.plan.set).sort()).toEqual(['open', 'status']);
    expect(squeezed.plan.keyCountAfter).toBe(MAX_KEYS_PER_MESSAGE);
  });
});
