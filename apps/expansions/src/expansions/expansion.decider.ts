import {
  AppError,
  assertKeysPerCall,
  Errors,
  EventData,
  expansionBytes,
  MAX_EXPANSION_BYTES,
  MAX_KEYS_PER_MESSAGE,
  NewEvent,
  PatchExpansionBody,
} from '@im/contracts';
import { ConversationRef } from '../messaging-view/access';

/**
 * A message expansion's rules (PRODUCT.md "Message expansion"): `decide` turns a command into
 * at most one `expansion.updated` (or refuses a PATCH whole), `evolve` folds it into the keys.
 * `expansion.store.ts` locks the message's head, loads the state, decides, and writes the rows
 * from the events. A PATCH is refused; a reaction (a message's initial keys, a red packet's state,
 * a recall) cannot be (nobody to answer, and the same event would fail forever), so it writes
 * what fits.
 */
export interface KeyState {
  value: string;
  version: number;
  ts: number;
}

export interface ExpansionState {
  keys: Map<string, KeyState>;
  /** Changes so far (the head's version). */
  version: number;
  /** Keys this message holds for its red packet (`packetKeysOf`): nobody's PATCH touches them. */
  reservedKeys: readonly string[];
}

/** The message a command is about, as the event names it. */
export interface MessageTarget {
  messageUId: string;
  ref: ConversationRef;
}

export type ExpansionCommand =
  | { type: 'patch'; message: MessageTarget; operatorId: string | null; isServer: boolean; patch: PatchExpansionBody }
  /** The expansion the message was sent with; keys written meanwhile keep their newer values. */
  | { type: 'initial'; message: MessageTarget; operatorId: string; expansion: Record<string, string> }
  /** A red packet's state mirrored into its message. */
  | { type: 'mirrorPacket'; message: MessageTarget; wanted: Record<string, string> }
  | { type: 'recall'; message: MessageTarget; operatorId: string | null };

export type ExpansionEvent = Extract<NewEvent, { type: 'expansion.updated' }>;
type Reason = EventData<'expansion.updated'>['reason'];

/** What a change does to the keys, before it is an event. */
interface Change {
  cleared: boolean;
  set: Record<string, string>;
  removed: string[];
}

export const initialState = (reservedKeys: readonly string[] = []): ExpansionState => ({ keys: new Map(), version: 0, reservedKeys });

export function decide(command: ExpansionCommand, state: ExpansionState): ExpansionEvent[] {
  switch (command.type) {
    case 'patch':
      return updated(command.message, state, planPatch(state, command.patch, command.isServer), command.operatorId, 'update');
    case 'initial': {
      const fresh = Object.entries(command.expansion).filter(([k]) => !state.keys.has(k));
      return updated(command.message, state, reactionWrite(state.keys, fresh), command.operatorId, 'initial');
    }
    case 'mirrorPacket':
      return updated(command.message, state, reactionWrite(state.keys, Object.entries(command.wanted)), null, 'red_packet');
    case 'recall':
      return updated(command.message, state, { cleared: state.keys.size > 0, set: {}, removed: [] }, command.operatorId, 'recalled');
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}

function updated(m: MessageTarget, state: ExpansionState, c: Change, operatorId: string | null, reason: Reason): ExpansionEvent[] {
  if (!c.cleared && c.removed.length === 0 && Object.keys(c.set).length === 0) return [];
  const { conversationId, targetId, senderId, directedUserIds } = m.ref;
  const conversationType = m.ref.conversationType as EventData<'expansion.updated'>['conversationType'];
  const conversation = { conversationId, conversationType, targetId, senderId, ...(directedUserIds ? { directedUserIds } : {}) };
  const data = { messageUId: m.messageUId, ...conversation, updated: c.set, removed: c.removed, cleared: c.cleared };
  return [{ type: 'expansion.updated', data: { ...data, version: state.version + 1, operatorId, reason } }];
}

/**
 * A PATCH, all or nothing: a red packet's keys left alone, the per-call and per-message limits
 * (keys, then total size), then compare-and-set on `expectedVersions` (a missing key has version 0).
 */
function planPatch(state: ExpansionState, patch: PatchExpansionBody, isServer: boolean): Change {
  assertLeavesReservedKeys(patch, state.reservedKeys);
  const current = state.keys;
  const set = patch.set ?? {};
  assertKeysPerCall(Object.keys(set).length, isServer);
  const stale = Object.entries(patch.expectedVersions ?? {}).filter(([k, v]) => (current.get(k)?.version ?? 0) !== v);
  if (stale.length > 0) {
    const currentValues = Object.fromEntries(stale.map(([k]) => [k, toEntry(current.get(k))]));
    throw new AppError('EXPANSION_VERSION_CONFLICT', 'an expected version is stale', { current: currentValues });
  }
  const cleared = patch.clear === true;
  const base = cleared ? new Map<string, KeyState>() : current;
  const removed = (patch.remove ?? []).filter((k) => base.has(k) && !(k in set));
  const keys = new Set(base.keys());
  removed.forEach((k) => keys.delete(k));
  Object.keys(set).forEach((k) => keys.add(k));
  // A red packet's keys count from the message's creation, written yet or not (the initial
  // expansion and a claim's update race, either may land after this PATCH): members get the limit
  // minus five, and the packet's updates always fit in the room kept for them.
  const counted = new Set([...keys, ...state.reservedKeys]).size;
  if (counted > MAX_KEYS_PER_MESSAGE) {
    throw Errors.unprocessable('EXPANSION_KEY_LIMIT', `a message carries at most ${MAX_KEYS_PER_MESSAGE} expansion keys`, {
      limit: MAX_KEYS_PER_MESSAGE,
      wouldHave: counted,
    });
  }
  assertExpansionFits(current, keys, base, set);
  return { cleared: cleared && current.size > 0, set, removed: cleared ? [] : removed };
}

/** Refuses, whole, a PATCH that would write or take away a red packet's key (the packet's state). */
function assertLeavesReservedKeys(patch: PatchExpansionBody, reserved: readonly string[]): void {
  if (reserved.length === 0) return;
  if (patch.clear === true) throw Errors.reservedExpansionKey([...reserved], 'red packet');
  const touched = [...Object.keys(patch.set ?? {}), ...(patch.remove ?? [])].filter((k) => reserved.includes(k));
  if (touched.length > 0) throw Errors.reservedExpansionKey([...new Set(touched)], 'red packet');
}

/**
 * The map after the change, serialized, stays within MAX_EXPANSION_BYTES (413 otherwise, nothing
 * written). A change that makes it smaller always passes: the red packet's own updates are not
 * measured and may take a full map a few bytes over, and removing keys must still work then.
 */
function assertExpansionFits(
  current: Map<string, KeyState>,
  keys: Set<string>,
  base: Map<string, KeyState>,
  set: Record<string, string>,
): void {
  const after = expansionBytes([...keys].map((k) => [k, k in set ? set[k] : base.get(k)!.value] as const));
  if (after <= MAX_EXPANSION_BYTES) return;
  if (after < expansionBytes([...current].map(([k, s]) => [k, s.value] as const))) return;
  throw Errors.tooLarge('expansion', MAX_EXPANSION_BYTES);
}

/**
 * How a reaction writes keys: the ones whose value changed. New keys that would pass the
 * per-message limit are left out (`leftOut` names them after); rewriting a key never adds one.
 */
function reactionWrite(current: Map<string, KeyState>, wanted: Array<[string, string]>): Change {
  const changed = wanted.filter(([k, v]) => current.get(k)?.value !== v);
  const additions = changed.filter(([k]) => !current.has(k));
  const fitting = new Set(additions.slice(0, Math.max(0, MAX_KEYS_PER_MESSAGE - current.size)).map(([k]) => k));
  const set = changed.filter(([k]) => current.has(k) || fitting.has(k));
  return { cleared: false, set: Object.fromEntries(set), removed: [] };
}

/** The keys a reaction wanted that the message does not have after it: no room was left. */
export function leftOut(wanted: Record<string, string>, after: ExpansionState): string[] {
  return Object.keys(wanted).filter((k) => !after.keys.has(k));
}

/** `at` is the event's own time (its envelope's), the time its keys were written. */
export function evolve(state: ExpansionState, event: ExpansionEvent, at: number): ExpansionState {
  const { cleared, removed, updated: set, version } = event.data;
  const keys = new Map(cleared ? [] : state.keys);
  removed.forEach((k) => keys.delete(k));
  for (const [k, value] of Object.entries(set)) keys.set(k, { value, version: (keys.get(k)?.version ?? 0) + 1, ts: at });
  return { ...state, keys, version };
}

export function toEntry(k: KeyState | undefined): { v: string; version: number; ts: number } | null {
  return k ? { v: k.value, version: k.version, ts: k.ts } : null;
}
