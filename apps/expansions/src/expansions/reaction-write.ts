import { MAX_KEYS_PER_MESSAGE } from '@im/contracts';
import { ExpansionPlan, KeyState } from './expansion.rules';

export interface ReactionWrite {
  plan: ExpansionPlan;
  /** Keys that were not written: new keys past the per-message limit. */
  leftOut: string[];
}

/**
 * How a reaction (a message's initial expansion, a red packet's state) writes keys: the ones
 * whose value changed, each a version up. A reaction cannot be refused the way a PATCH is
 * (there is nobody to answer, and the same event would fail again forever, stopping everything
 * behind it), so new keys that would pass the per-message limit are left out and named instead.
 * Rewriting a key that exists never adds one, so it always fits.
 */
export function planReactionWrite(current: Map<string, KeyState>, wanted: Record<string, string>): ReactionWrite {
  const changed = Object.entries(wanted).filter(([k, v]) => current.get(k)?.value !== v);
  const rewrites = changed.filter(([k]) => current.has(k));
  const additions = changed.filter(([k]) => !current.has(k));
  const fitting = additions.slice(0, Math.max(0, MAX_KEYS_PER_MESSAGE - current.size));
  return {
    plan: {
      cleared: false,
      removed: [],
      set: Object.fromEntries([...rewrites, ...fitting].map(([k, v]) => [k, { value: v, version: (current.get(k)?.version ?? 0) + 1 }])),
      keyCountAfter: current.size + fitting.length,
    },
    leftOut: additions.slice(fitting.length).map(([k]) => k),
  };
}
