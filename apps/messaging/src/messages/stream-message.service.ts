import { RpcParsed, RpcReply } from '@im/contracts';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { actingUser } from './message.rules';
import { changeMessage } from './message.store';
import type { DB as MessagingDB } from '../db.generated';

/**
 * Appends a chunk to a streaming message (the rules are message.decider.ts). The message row is
 * locked, so of two clients racing to append the same seq exactly one wins; the other learns the
 * seq now expected.
 */
@Injectable()
export class StreamMessageService {
  constructor(
    @Inject(DB) private readonly db: Kysely<MessagingDB>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async append({ actor, messageUId, body }: RpcParsed<'messaging', 'messages.stream'>): Promise<RpcReply<'messaging', 'messages.stream'>> {
    const command = { type: 'appendChunk', senderId: actingUser(actor), chunk: body } as const;
    const [event] = await this.db.transaction().execute((trx) => changeMessage(trx, messageUId, command, this.clock.now()));
    if (event.type !== 'message.stream.appended') throw new Error(`a stream chunk decided ${event.type}`);
    return { messageUId, seq: event.data.seq, complete: event.data.complete };
  }
}
