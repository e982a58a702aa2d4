import { RpcParsed, RpcReply } from '@im/contracts';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { MESSAGING_SETTINGS, MessagingSettings } from '../messaging.settings';
import { changeMessage } from './message.store';
import type { DB as MessagingDB } from '../db.generated';

/**
 * Recall: the sender within the window, or the app backend (`isAdmin`) at any time (the rules are
 * message.decider.ts). The message row is locked, so of two racing recalls one wins and the other
 * gets 409.
 */
@Injectable()
export class RecallMessageService {
  constructor(
    @Inject(DB) private readonly db: Kysely<MessagingDB>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(MESSAGING_SETTINGS) private readonly settings: MessagingSettings,
  ) {}

  async recall({ actor, messageUId, body }: RpcParsed<'messaging', 'messages.recall'>): Promise<RpcReply<'messaging', 'messages.recall'>> {
    const command = { type: 'recall', actor, body, recallWindowMs: this.settings.recallWindowMs } as const;
    const [event] = await this.db.transaction().execute((trx) => changeMessage(trx, messageUId, command, this.clock.now()));
    if (event.type !== 'message.recalled') throw new Error(`a recall decided ${event.type}`);
    return { messageUId, recalled: true, isDelete: event.data.isDelete, recallTime: event.data.recallTime };
  }
}
