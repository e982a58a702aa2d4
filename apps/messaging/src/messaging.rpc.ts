import { RpcHandlers } from '@im/eventstore';
import { ChatroomsService } from './chatrooms/chatrooms.service';
import { BeforeSendService } from './callbacks/before-send.service';
import { ConversationsQueries } from './conversations/conversations.queries';
import { GroupsService } from './groups/groups.service';
import { MessageTypesService } from './message-types/message-types.service';
import { RecallMessageService } from './messages/recall-message.service';
import { SendMessageService } from './messages/send-message.service';
import { StreamMessageService } from './messages/stream-message.service';
import { UltraGroupsService } from './ultra-groups/ultra-groups.service';
import { UsersService } from './users/users.service';

export const MESSAGING_HANDLER_DEPS = [
  UsersService,
  GroupsService,
  SendMessageService,
  RecallMessageService,
  StreamMessageService,
  MessageTypesService,
  ConversationsQueries,
  ChatroomsService,
  BeforeSendService,
  UltraGroupsService,
] as const;

/** The thin NATS edge: each method maps one validated request to one call. */
export function messagingRpc(
  users: UsersService,
  groups: GroupsService,
  send: SendMessageService,
  recall: RecallMessageService,
  stream: StreamMessageService,
  types: MessageTypesService,
  conversations: ConversationsQueries,
  chatrooms: ChatroomsService,
  beforeSend: BeforeSendService,
  ultraGroups: UltraGroupsService,
): RpcHandlers<'messaging'> {
  return {
    'users.upsert': (r) => users.upsert(r),
    'users.get': (r) => users.get(r),
    'users.upsertMany': (r) => users.upsertMany(r),
    'groups.upsert': (r) => groups.upsert(r),
    'groups.members.add': (r) => groups.addMembersCommand(r),
    'groups.members.remove': (r) => groups.removeMemberCommand(r),
    'ultraGroups.upsert': (r) => ultraGroups.upsert(r),
    'ultraGroups.members.add': (r) => ultraGroups.addMembersCommand(r),
    'ultraGroups.members.remove': (r) => ultraGroups.removeMemberCommand(r),
    'ultraGroups.channels.upsert': (r) => ultraGroups.upsertChannel(r),
    'messages.send': (r) => send.send(r),
    'messages.recall': (r) => recall.recall(r),
    'messages.stream': (r) => stream.append(r),
    'message-types.register': (r) => types.register(r),
    'conversations.list': (r) => conversations.list(r),
    'conversations.history': (r) => conversations.history(r),
    'conversations.unreadTotals': (r) => conversations.unreadTotals(r),
    'chatrooms.upsert': (r) => chatrooms.upsert(r),
    'chatrooms.delete': (r) => chatrooms.delete(r),
    'chatrooms.get': (r) => chatrooms.get(r),
    'chatrooms.join': (r) => chatrooms.join(r),
    'chatrooms.leave': (r) => chatrooms.leave(r),
    'chatrooms.attributes.set': (r) => chatrooms.setAttribute(r),
    'chatrooms.attributes.delete': (r) => chatrooms.deleteAttribute(r),
    'chatrooms.attributes.list': (r) => chatrooms.listAttributes(r),
    'callbacks.beforeSend.set': (r) => beforeSend.set(r),
    'callbacks.beforeSend.get': (r) => beforeSend.get(r),
    'callbacks.beforeSend.remove': (r) => beforeSend.remove(r),
  };
}
