import { AppError, assertKeysPerCall, Errors, expansionBytes, MAX_EXPANSION_BYTES, MAX_KEYS_PER_MESSAGE, PatchExpansionBody } from '@im/contracts';

/** The stored state of one key. */
export interface KeyState {
  value: string;
  version: number;
  ts: number;
}

export interface ExpansionPlan {
  cleared: boolean;
  /** Keys to write, each with its new version. */
  set: Record<string, { value: string; version: number }>;
  removed: string[];
  keyCountAfter: number;
}

/**
 * Decides a PATCH against the current keys, all or nothing: the per-call and per-message
 * limits (keys, then total size), then compare-and-set on `expectedVersions` (a missing key
 * has version 0).
 */
export function planPatch(current: Map<string, KeyState>, patch: PatchExpansionBody, isServer: boolean): ExpansionPlan {
  const set = patch.set ?? {};
  assertKeysPerCall(Object.keys(set).length, isServer);
  const stale = Object.entries(patch.expectedVersions ?? {}).filter(([k, v]) => (current.get(k)?.version ?? 0) !== v);
  if (stale.length > 0) {
    const currentValues = Object.fromEntries(stale.map(([k]) => [k, toEntry(current.get(k))]));
    throw new AppError('EXPANSION_VERSION_CONFLICT', 409, 'an expected version is stale', { current: currentValues });
  }
  const cleared = patch.clear === true;
  const base = cleared ? new Map<string, KeyState>() : current;
  const removed = (patch.remove ?? []).filter((k) => base.has(k) && !(k in set));
  const keys = new Set(base.keys());
  removed.forEach((k) => keys.delete(k));
  Object.keys(set).forEach((k) => keys.add(k));
  if (keys.size > MAX_KEYS_PER_MESSAGE) {
    throw Errors.unprocessable('EXPANSION_KEY_LIMIT', `a message carries at most ${MAX_KEYS_PER_MESSAGE} expansion keys`, {
      limit: MAX_KEYS_PER_MESSAGE,
      wouldHave: keys.size,
    });
  }
  assertExpansionFits(current, keys, base, set);
  return {
    cleared: cleared && current.size > 0,
    set: Object.fromEntries(Object.entries(set).map(([k, value]) => [k, { value, version: (base.get(k)?.version ?? 0) + 1 }])),
    removed: cleared ? [] : removed,
    keyCountAfter: keys.size,
  };
}

/**
 * The map after the change, serialized, stays within MAX_EXPANSION_BYTES (413 otherwise, nothing
 * written). A change that makes it smaller always passes: the red packet's own updates do not go
 * through here and may take a full map a few bytes over, and removing keys must still work then.
 */
function assertExpansionFits(current: Map<string, KeyState>, keys: Set<string>, base: Map<string, KeyState>, set: Record<string, string>): void {
  const after = expansionBytes([...keys].map((k) => [k, k in set ? set[k] : base.get(k)!.value] as const));
  if (after <= MAX_EXPANSION_BYTES) return;
  if (after < expansionBytes([...current].map(([k, s]) => [k, s.value] as const))) return;
  throw Errors.tooLarge('expansion', MAX_EXPANSION_BYTES);
}

export function isEmptyPlan(p: ExpansionPlan): boolean {
  return !p.cleared && p.removed.length === 0 && Object.keys(p.set).length === 0;
}

export function toEntry(k: KeyState | undefined): { v: string; version: number; ts: number } | null {
  return k ? { v: k.value, version: k.version, ts: k.ts } : null;
}
