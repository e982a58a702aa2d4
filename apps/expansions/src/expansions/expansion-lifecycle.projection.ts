import { EventData } from '@im/contracts';
import { BACKGROUND_LINGER_UNDER_LOAD_MS, defineProjection } from '@im/eventstore';
import { Logger } from '@nestjs/common';
import { Transaction } from 'kysely';
import { leftOut } from './expansion.decider';
import { changeExpansion } from './expansion.store';
import type { DB } from '../db.generated';

const logger = new Logger('expansion-lifecycle');

/**
 * Reactions to messaging that change expansions: a message's initial expansion becomes its
 * first keys, and a recall takes its expansion away. Both go through `changeExpansion`, so
 * each is announced by `expansion.updated`. Re-applying them changes nothing (a key that
 * exists is not set again, an empty expansion is not cleared), so a rebuild re-announces nothing.
 */
export const expansionLifecycleProjection = defineProjection({
  name: 'expansion_lifecycle',
  sources: ['messaging'],
  tables: [],
  handles: ['message.sent', 'message.recalled'],
  lingerUnderLoadMs: BACKGROUND_LINGER_UNDER_LOAD_MS,
  async apply(trx, event) {
    switch (event.type) {
      case 'message.sent':
        return onSent(trx as Transaction<DB>, event.data);
      case 'message.recalled':
        return onRecalled(trx as Transaction<DB>, event.data);
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  },
});

function refOf(m: EventData<'message.sent'> | EventData<'message.recalled'>) {
  return {
    conversationType: m.conversationType,
    conversationId: m.conversationId,
    senderId: m.senderId,
    targetId: m.targetId,
    directedUserIds: m.directedUserIds ?? null,
  };
}

async function onSent(trx: Transaction<DB>, m: EventData<'message.sent'>): Promise<void> {
  if (!m.expansion || !m.canIncludeExpansion || m.seq === null) return;
  const message = { messageUId: m.messageUId, ref: refOf(m) };
  // Keys already written (a claim or a member's PATCH can overtake this reaction) keep their newer
  // values. Those PATCHes may also have used the room the initial keys needed (a red packet's keys
  // are kept room for; other messages' are not): what does not fit is left out, not retried.
  const after = await changeExpansion(trx, { type: 'initial', message, operatorId: m.senderId, expansion: m.expansion }, m.sentTime);
  const missing = leftOut(m.expansion, after);
  if (missing.length > 0) logger.warn(`${m.messageUId}: no room for initial expansion keys ${missing.join(', ')}; left out`);
}

async function onRecalled(trx: Transaction<DB>, r: EventData<'message.recalled'>): Promise<void> {
  await changeExpansion(
    trx,
    { type: 'recall', message: { messageUId: r.messageUId, ref: refOf(r) }, operatorId: r.operatorId },
    r.recallTime,
  );
}
