import {
  AppError,
  BUILT_IN_MESSAGE_TYPES,
  CUSTOM_TYPE_NAME,
  customMessageType,
  MessageTypeDefinition,
  newEvent,
  RpcParsed,
  RpcReply,
} from '@im/contracts';
import { appendToStream } from '@im/eventstore';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { unknownMessageType } from '../messages/message.rules';
import type { DB as MessagingDB } from '../db.generated';

type Registered = RpcReply<'messaging', 'message-types.register'>;

/** The catalogue at run time: the built-ins, plus custom types the app backend registers. */
@Injectable()
export class MessageTypesService {
  constructor(
    @Inject(DB) private readonly db: Kysely<MessagingDB>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Registers or changes a type; registering it again unchanged appends nothing. */
  async register({ objectName, body }: RpcParsed<'messaging', 'message-types.register'>): Promise<Registered> {
    if (!CUSTOM_TYPE_NAME.test(objectName)) {
      throw new AppError('INVALID_OBJECT_NAME', 'a custom objectName must not start with RC: and has at most 32 characters of A-Z a-z 0-9 _ : . -', [
        { path: 'objectName', message: 'not a valid custom message type name' },
      ]);
    }
    // A status message is never stored and never counted, whatever else was asked.
    const flags: Registered = {
      objectName,
      isStatus: body.isStatus,
      isPersisted: body.isStatus ? false : body.isPersisted,
      isCounted: body.isStatus ? false : body.isCounted,
      pushContent: body.pushContent ?? null,
    };
    const row = {
      is_persisted: flags.isPersisted,
      is_counted: flags.isCounted,
      is_status: flags.isStatus,
      push_content: flags.pushContent,
      updated_at: this.clock.now(),
    };
    return this.db.transaction().execute(async (trx) => {
      const before = await trx.selectFrom('message_types').selectAll().where('object_name', '=', objectName).forUpdate().executeTakeFirst();
      const unchanged =
        before && before.is_persisted === row.is_persisted && before.is_counted === row.is_counted && before.is_status === row.is_status && before.push_content === row.push_content;
      if (unchanged) return flags;
      await trx
        .insertInto('message_types')
        .values({ object_name: objectName, ...row })
        .onConflict((oc) => oc.column('object_name').doUpdateSet(row))
        .execute();
      await appendToStream(trx, `message-type-${objectName}`, 'any', [newEvent('message-type.registered', flags)], row.updated_at);
      return flags;
    });
  }

  async resolve(objectName: string): Promise<MessageTypeDefinition> {
    const builtIn = BUILT_IN_MESSAGE_TYPES.get(objectName);
    if (builtIn) return builtIn;
    const row = await this.db.selectFrom('message_types').selectAll().where('object_name', '=', objectName).executeTakeFirst();
    if (!row) throw unknownMessageType(objectName);
    return customMessageType(objectName, {
      isPersisted: row.is_persisted,
      isCounted: row.is_counted,
      isStatus: row.is_status,
      pushContent: row.push_content ?? undefined,
    });
  }
}
