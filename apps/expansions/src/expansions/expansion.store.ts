import { appendToStream } from '@im/eventstore';
import { Kysely, QueryCreator, sql, Transaction } from 'kysely';
import { decide, evolve, ExpansionCommand, ExpansionEvent, ExpansionState, KeyState } from './expansion.decider';
import type { DB } from '../db.generated';
import { ultraGroupExpansionEvent } from './ultra-group-expansion';

/**
 * The one way an expansion changes: lock the message's head row, load its keys, let the decider
 * decide, append its `expansion.updated` and write the rows that follow from it, all in the
 * caller's transaction. Returns the state after the change.
 */
export async function changeExpansion(
  trx: Transaction<DB>,
  command: ExpansionCommand,
  now: number,
  reservedKeys: readonly string[] = [],
): Promise<ExpansionState> {
  const state = await loadState(trx, command.message.messageUId, reservedKeys);
  return writeEvents(trx, command.message.messageUId, state, decide(command, state), now);
}

/** Creates the head or takes its row lock, in one statement, then reads the keys. */
async function loadState(trx: Transaction<DB>, messageUId: string, reservedKeys: readonly string[]): Promise<ExpansionState> {
  const { rows } = await sql<{ version: number }>`
    INSERT INTO expansion_heads (message_uid, version, key_count) VALUES (${messageUId}, 0, 0)
    ON CONFLICT (message_uid) DO UPDATE SET version = expansion_heads.version
    RETURNING version`.execute(trx);
  return { keys: await readKeys(trx, messageUId), version: rows[0].version, reservedKeys };
}

/** Appends the events and writes the head and the keys they leave: the only writer of both. */
async function writeEvents(
  trx: Transaction<DB>,
  uid: string,
  before: ExpansionState,
  events: ExpansionEvent[],
  now: number,
): Promise<ExpansionState> {
  if (events.length === 0) return before;
  const after = events.reduce((s, e) => evolve(s, e, now), before);
  const cleared = events.some((e) => e.data.cleared);
  const gone = cleared ? [] : [...before.keys.keys()].filter((k) => !after.keys.has(k));
  if (cleared) await trx.deleteFrom('expansion_keys').where('message_uid', '=', uid).execute();
  if (gone.length > 0) await trx.deleteFrom('expansion_keys').where('message_uid', '=', uid).where('key', 'in', gone).execute();
  // The keys the events set, as they stand after them (value, version, time), one upsert for all,
  // in the statement that moves the head (different tables: nothing in it reads what it writes).
  const set = [...new Set(events.flatMap((e) => Object.keys(e.data.updated)))].map((key) => [key, after.keys.get(key)!] as const);
  const head = (db: QueryCreator<DB>) =>
    db.updateTable('expansion_heads').set({ version: after.version, key_count: after.keys.size }).where('message_uid', '=', uid);
  if (set.length === 0) await head(trx).execute();
  else {
    await trx
      .with('head', (db) => head(db))
      .insertInto('expansion_keys')
      .values(set.map(([key, s]) => ({ message_uid: uid, key, value: s.value, version: s.version, updated_at: s.ts })))
      .onConflict((oc) =>
        oc.columns(['message_uid', 'key']).doUpdateSet((eb) => ({
          value: eb.ref('excluded.value'),
          version: eb.ref('excluded.version'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
  await appendToStream(trx, `expansion-${uid}`, before.version, events, new Date(now));
  // App servers hear of an ultra-group message's change as RC:MsgExMsg, derived from the same
  // events: on its own stream, so the expansion's keeps one event per version. Serial under the head's lock.
  const forAppServers = appServerEvents(before, events, now);
  if (forAppServers.length > 0) await appendToStream(trx, `ultragroup-expansion-${uid}`, 'any', forAppServers, new Date(now));
  return after;
}

/** Each event's RC:MsgExMsg (ultra groups only), against the keys as they were just before it. */
function appServerEvents(before: ExpansionState, events: ExpansionEvent[], now: number) {
  let state = before;
  return events.flatMap((e) => {
    const out = ultraGroupExpansionEvent(e, state.keys, now);
    state = evolve(state, e, now);
    return out ? [out] : [];
  });
}

export async function readKeys(db: Kysely<DB>, messageUId: string): Promise<Map<string, KeyState>> {
  const rows = await db
    .selectFrom('expansion_keys')
    .select(['key', 'value', 'version', 'updated_at'])
    .where('message_uid', '=', messageUId)
    .execute();
  return new Map(rows.map((r) => [r.key, { value: r.value, version: r.version, ts: r.updated_at }]));
}

export function toView(keys: Map<string, KeyState>): Record<string, { v: string; version: number; ts: number }> {
  return Object.fromEntries(
    [...keys].sort(([a], [b]) => a.localeCompare(b)).map(([k, s]) => [k, { v: s.value, version: s.version, ts: s.ts }]),
  );
}
