import { Errors, RpcParsed, RpcReply } from '@im/contracts';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { assertCanSee, ConversationRef } from '../messaging-view/access';
import { changeExpansion, readKeys, toView } from './expansion.store';
import { packetKeysOf } from '../red-packets/red-packet-keys';
import type { DB as ExpansionsDB } from '../db.generated';

/** PATCH and GET of a message's expansion, for members of its conversation or the server key. */
@Injectable()
export class ExpansionsService {
  constructor(
    @Inject(DB) private readonly db: Kysely<ExpansionsDB>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async patch({
    actor,
    messageUId,
    body,
  }: RpcParsed<'expansions', 'expansions.patch'>): Promise<RpcReply<'expansions', 'expansions.patch'>> {
    const ref = await this.visibleMessage(messageUId, actor);
    if (!ref.canIncludeExpansion)
      throw Errors.unprocessable('EXPANSION_NOT_ALLOWED', 'the message was not sent with canIncludeExpansion: true');
    // A red packet's own keys are its state: nobody writes them but the packet.
    const reserved = packetKeysOf(ref.objectName);
    const command = {
      type: 'patch',
      message: { messageUId, ref },
      operatorId: actor.userId,
      isServer: actor.isServer,
      patch: body,
    } as const;
    const { keys } = await this.db.transaction().execute((trx) => changeExpansion(trx, command, this.clock.now().getTime(), reserved));
    return toView(keys);
  }

  async get({ actor, messageUId }: RpcParsed<'expansions', 'expansions.get'>): Promise<RpcReply<'expansions', 'expansions.get'>> {
    await this.visibleMessage(messageUId, actor);
    return toView(await readKeys(this.db, messageUId));
  }

  private async visibleMessage(
    messageUId: string,
    actor: Parameters<typeof assertCanSee>[2],
  ): Promise<ConversationRef & { canIncludeExpansion: boolean; objectName: string | null }> {
    const row = await this.db.selectFrom('message_refs').selectAll().where('message_uid', '=', messageUId).executeTakeFirst();
    if (!row || row.recalled) throw Errors.notFound('message');
    const ref = {
      conversationType: row.conversation_type,
      conversationId: row.conversation_id,
      senderId: row.sender_id,
      targetId: row.target_id,
      directedUserIds: row.directed_user_ids,
      canIncludeExpansion: row.can_include_expansion,
      objectName: row.object_name,
    };
    await assertCanSee(this.db, ref, actor, 'message');
    return ref;
  }
}
