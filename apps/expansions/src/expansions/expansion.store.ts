import { EventData, newEvent } from '@im/contracts';
import { appendToStream } from '@im/eventstore';
import { Kysely, sql, Transaction } from 'kysely';
import { ConversationRef } from '../messaging-view/access';
import { ExpansionPlan, isEmptyPlan, KeyState } from './expansion.rules';

export type ExpansionReason = EventData<'expansion.updated'>['reason'];

export interface ExpansionChange {
  messageUId: string;
  ref: ConversationRef;
  operatorId: string | null;
  reason: ExpansionReason;
  now: number;
}

/**
 * The one way an expansion changes: lock the message's head row, read its keys, let `decide`
 * plan the change against them, write it and append one `expansion.updated`, all in the
 * caller's transaction. Returns the keys after the change.
 */
export async function changeExpansion(
  trx: Transaction<any>,
  change: ExpansionChange,
  decide: (current: Map<string, KeyState>) => ExpansionPlan | null,
): Promise<Map<string, KeyState>> {
  const uid = change.messageUId;
  // Creates the head or takes its row lock, in one statement.
  const { rows } = await sql<{ version: number }>`
    INSERT INTO expansion_heads (message_uid, version, key_count) VALUES (${uid}, 0, 0)
    ON CONFLICT (message_uid) DO UPDATE SET version = expansion_heads.version
    RETURNING version`.execute(trx);
  const head = rows[0];
  const current = await readKeys(trx, uid);
  const plan = decide(current);
  if (!plan || isEmptyPlan(plan)) return current;
  if (plan.cleared) await trx.deleteFrom('expansion_keys').where('message_uid', '=', uid).execute();
  if (plan.removed.length > 0) await trx.deleteFrom('expansion_keys').where('message_uid', '=', uid).where('key', 'in', plan.removed).execute();
  const set = Object.entries(plan.set);
  if (set.length > 0) {
    await trx
      .insertInto('expansion_keys')
      .values(set.map(([key, s]) => ({ message_uid: uid, key, value: s.value, version: s.version, updated_at: change.now })))
      .onConflict((oc) =>
        oc.columns(['message_uid', 'key']).doUpdateSet((eb) => ({
          value: eb.ref('excluded.value'),
          version: eb.ref('excluded.version'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
  const version = Number(head.version) + 1;
  await trx.updateTable('expansion_heads').set({ version, key_count: plan.keyCountAfter }).where('message_uid', '=', uid).execute();
  const data: EventData<'expansion.updated'> = {
    messageUId: uid,
    conversationId: change.ref.conversationId,
    conversationType: change.ref.conversationType as EventData<'expansion.updated'>['conversationType'],
    targetId: change.ref.targetId,
    senderId: change.ref.senderId,
    ...(change.ref.directedUserIds ? { directedUserIds: change.ref.directedUserIds } : {}),
    updated: Object.fromEntries(set.map(([k, s]) => [k, s.value])),
    removed: plan.removed,
    cleared: plan.cleared,
    version,
    operatorId: change.operatorId,
    reason: change.reason,
  };
  await appendToStream(trx, `expansion-${uid}`, version - 1, [newEvent('expansion.updated', data)], new Date(change.now));
  return afterPlan(current, plan, change.now);
}

function afterPlan(current: Map<string, KeyState>, plan: ExpansionPlan, now: number): Map<string, KeyState> {
  const after = new Map(plan.cleared ? [] : current);
  plan.removed.forEach((k) => after.delete(k));
  for (const [k, s] of Object.entries(plan.set)) after.set(k, { value: s.value, version: s.version, ts: now });
  return after;
}

export async function readKeys(db: Kysely<any>, messageUId: string): Promise<Map<string, KeyState>> {
  const rows = await db.selectFrom('expansion_keys').select(['key', 'value', 'version', 'updated_at']).where('message_uid', '=', messageUId).execute();
  return new Map(rows.map((r) => [r.key, { value: r.value, version: r.version, ts: Number(r.updated_at) }]));
}

export function toView(keys: Map<string, KeyState>): Record<string, { v: string; version: number; ts: number }> {
  return Object.fromEntries([...keys].sort(([a], [b]) => a.localeCompare(b)).map(([k, s]) => [k, { v: s.value, version: s.version, ts: s.ts }]));
}
