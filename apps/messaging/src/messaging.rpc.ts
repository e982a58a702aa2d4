import { RpcHandlers } from '@im/eventstore';
import { ConversationsQueries } from './conversations/conversations.queries';
import { GroupsService } from './groups/groups.service';
import { SendMessageService } from './messages/send-message.service';
import { UsersService } from './users/users.service';

/** The thin NATS edge: each method maps one validated request to one call. */
export function messagingRpc(
  users: UsersService,
  groups: GroupsService,
  send: SendMessageService,
  conversations: ConversationsQueries,
): RpcHandlers<'messaging'> {
  return {
    'users.upsert': (r) => users.upsert(r),
    'users.get': (r) => users.get(r),
    'groups.upsert': (r) => groups.upsert(r),
    'groups.members.add': (r) => groups.addMembersCommand(r),
    'groups.members.remove': (r) => groups.removeMemberCommand(r),
    'messages.send': (r) => send.send(r),
    'conversations.list': (r) => conversations.list(r),
    'conversations.history': (r) => conversations.history(r),
  };
}
