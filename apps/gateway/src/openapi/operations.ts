import {
  AddMembersBody,
  AdminPushesQuery,
  BatchUpsertUsersBody,
  BeforeSendCallbackBody,
  ConversationListQuery,
  CreateRedPacketBody,
  DeleteChatroomAttributeBody,
  ErrorCode,
  HistoryQuery,
  MarkReadBody,
  NotificationBody,
  PatchExpansionBody,
  PostSendCallbackBody,
  ReadersQuery,
  RecallBody,
  ReceiptsQuery,
  RegisterDeviceBody,
  RegisterMessageTypeBody,
  ReplySchemas as R,
  SendMessageBody,
  SendReceiptsBody,
  SetChatroomAttributeBody,
  StreamAppendBody,
  TokenBody,
  UpsertChatroomBody,
  UpsertChannelBody,
  UpsertGroupBody,
  UpsertUltraGroupBody,
  UpsertUserBody,
  UserSettingsBody,
} from '@im/contracts';
import { z } from 'zod';
import { StreamQuery, StreamTicketBody, StreamTicketIssued } from '../stream/stream.schemas';
import { HealthView, LiveView, PROMETHEUS_TEXT, ReadyView, SSE } from './gateway-responses';

export type Auth = 'public' | 'server' | 'user' | 'any';

export interface Operation {
  /** Stable and camelCase: a generated client names its method after it. */
  operationId: string;
  /** One area per operation (users, messages, receipts...). */
  tag: string;
  method: 'get' | 'put' | 'post' | 'delete' | 'patch';
  path: string;
  summary: string;
  auth: Auth;
  body?: z.ZodType;
  query?: z.ZodObject;
  success: number;
  /** The success body: a zod schema, `SSE` for an event stream, `PROMETHEUS_TEXT` for metrics. */
  response: z.ZodType | typeof SSE | typeof PROMETHEUS_TEXT;
  /** Every code it can answer with; the document groups them by status. */
  errors: ErrorCode[];
  /** Non-error statuses with a body of their own (health's 503). */
  otherResponses?: Record<number, { description: string; schema: z.ZodType }>;
}

const server = (errors: ErrorCode[]): ErrorCode[] => ['UNAUTHORIZED', 'FORBIDDEN', 'VALIDATION_FAILED', 'SERVICE_UNAVAILABLE', ...errors];
const any = (errors: ErrorCode[]): ErrorCode[] => ['UNAUTHORIZED', 'VALIDATION_FAILED', 'SERVICE_UNAVAILABLE', ...errors];
const body: ErrorCode[] = ['INVALID_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'CONTENT_TOO_LARGE'];

/**
 * Every route the gateway serves. A test compares this list with the routes Fastify actually
 * registered, and checks each has an operationId, a tag, a response schema and its errors.
 */
// One line per operation: the list reads as a table.
// prettier-ignore
export const OPERATIONS: Operation[] = [
  { operationId: 'getHealth', tag: 'health', method: 'get', path: '/health', summary: 'Ready when NATS and every service answer', auth: 'public', success: 200, response: HealthView, errors: [], otherResponses: { 503: { description: 'Not ready', schema: HealthView } } },
  { operationId: 'getLiveness', tag: 'health', method: 'get', path: '/health/live', summary: 'The gateway process answers (liveness)', auth: 'public', success: 200, response: LiveView, errors: [] },
  { operationId: 'getReadiness', tag: 'health', method: 'get', path: '/health/ready', summary: 'Ready when NATS is connected and every service says it is ready (its Postgres, NATS, relay, consumer lag); the 503 names what is not', auth: 'public', success: 200, response: ReadyView, errors: [], otherResponses: { 503: { description: 'Not ready', schema: ReadyView } } },
  { operationId: 'getMetrics', tag: 'health', method: 'get', path: '/metrics', summary: "The gateway's metrics, Prometheus text format (each service serves its own on METRICS_PORT)", auth: 'public', success: 200, response: PROMETHEUS_TEXT, errors: [] },
  { operationId: 'upsertUser', tag: 'users', method: 'put', path: '/v1/users/{userId}', summary: 'Create or update a user profile', auth: 'server', body: UpsertUserBody, success: 200, response: R.UserView, errors: server(body) },
  { operationId: 'upsertUsers', tag: 'users', method: 'post', path: '/v1/users/batch', summary: 'Create or update up to 1,000 user profiles at once (idempotent: an unchanged profile changes nothing)', auth: 'server', body: BatchUpsertUsersBody, success: 200, response: R.BatchUpsertUsersResult, errors: server(body) },
  { operationId: 'issueToken', tag: 'users', method: 'post', path: '/v1/users/{userId}/token', summary: 'Issue a signed user token', auth: 'server', body: TokenBody, success: 200, response: R.TokenIssued, errors: server([...body, 'NOT_FOUND']) },
  { operationId: 'upsertGroup', tag: 'groups', method: 'put', path: '/v1/groups/{groupId}', summary: 'Create or update a group; memberIds, when given, is the full member list (without it the members stay)', auth: 'server', body: UpsertGroupBody, success: 200, response: R.GroupView, errors: server([...body, 'NOT_FOUND', 'CONCURRENCY_CONFLICT']) },
  { operationId: 'addGroupMembers', tag: 'groups', method: 'post', path: '/v1/groups/{groupId}/members', summary: 'Add members to a group', auth: 'server', body: AddMembersBody, success: 200, response: R.MembersAddedResult, errors: server([...body, 'NOT_FOUND', 'CONCURRENCY_CONFLICT']) },
  { operationId: 'removeGroupMember', tag: 'groups', method: 'delete', path: '/v1/groups/{groupId}/members/{userId}', summary: 'Remove a member from a group', auth: 'server', success: 200, response: R.MembersRemovedResult, errors: server(['NOT_FOUND', 'CONCURRENCY_CONFLICT']) },
  { operationId: 'upsertChatroom', tag: 'chatrooms', method: 'put', path: '/v1/chatrooms/{chatroomId}', summary: 'Create or rename a chatroom (type 4)', auth: 'server', body: UpsertChatroomBody, success: 200, response: R.ChatroomView, errors: server([...body]) },
  { operationId: 'deleteChatroom', tag: 'chatrooms', method: 'delete', path: '/v1/chatrooms/{chatroomId}', summary: 'Delete a chatroom; its members and attributes go with it', auth: 'server', success: 200, response: R.ChatroomDeleted, errors: server(['NOT_FOUND']) },
  { operationId: 'getChatroom', tag: 'chatrooms', method: 'get', path: '/v1/chatrooms/{chatroomId}', summary: 'A chatroom and its member count (its members, and the server key)', auth: 'any', success: 200, response: R.ChatroomView, errors: any(['NOT_FOUND']) },
  { operationId: 'joinChatroom', tag: 'chatrooms', method: 'post', path: '/v1/chatrooms/{chatroomId}/members', summary: 'Join (a user token joins itself, the server key X-User-Id); answers with the latest 50 messages, newest first', auth: 'any', success: 200, response: R.ChatroomJoined, errors: any(['NOT_FOUND']) },
  { operationId: 'leaveChatroom', tag: 'chatrooms', method: 'delete', path: '/v1/chatrooms/{chatroomId}/members/me', summary: "Leave; the caller's autoDelete attributes go with them (each announced)", auth: 'any', success: 200, response: R.ChatroomLeft, errors: any(['NOT_FOUND']) },
  { operationId: 'listChatroomAttributes', tag: 'chatrooms', method: 'get', path: '/v1/chatrooms/{chatroomId}/attributes', summary: "A chatroom's attributes with who set them and when", auth: 'any', success: 200, response: R.ChatroomAttributes, errors: any(['NOT_FOUND']) },
  { operationId: 'setChatroomAttribute', tag: 'chatrooms', method: 'put', path: '/v1/chatrooms/{chatroomId}/attributes/{key}', summary: 'Set an attribute (key [A-Za-z0-9_+=-]{1,128}, value up to 4096); announced in the room by RC:chrmKVNotiMsg and on NATS as chatroom.attribute.changed', auth: 'any', body: SetChatroomAttributeBody, success: 200, response: R.ChatroomAttributeSet, errors: any([...body, 'NOT_FOUND', 'ATTRIBUTE_SET_BY_OTHER', 'CHATROOM_ATTRIBUTES_FULL']) },
  { operationId: 'deleteChatroomAttribute', tag: 'chatrooms', method: 'delete', path: '/v1/chatrooms/{chatroomId}/attributes/{key}', summary: 'Delete an attribute: a user only the keys they set, the server key any; announced like a set', auth: 'any', body: DeleteChatroomAttributeBody, success: 200, response: R.ChatroomAttributeDeleted, errors: any([...body, 'NOT_FOUND', 'FORBIDDEN']) },
  { operationId: 'upsertUltraGroup', tag: 'ultra-groups', method: 'put', path: '/v1/ultra-groups/{ultraGroupId}', summary: 'Create or update an ultra group; memberIds, when given, is the full member list (without it the members stay); members belong to every channel', auth: 'server', body: UpsertUltraGroupBody, success: 200, response: R.UltraGroupView, errors: server([...body, 'NOT_FOUND', 'CONCURRENCY_CONFLICT']) },
  { operationId: 'addUltraGroupMembers', tag: 'ultra-groups', method: 'post', path: '/v1/ultra-groups/{ultraGroupId}/members', summary: 'Add members to an ultra group (all its channels)', auth: 'server', body: AddMembersBody, success: 200, response: R.UltraGroupMembersAddedResult, errors: server([...body, 'NOT_FOUND', 'CONCURRENCY_CONFLICT']) },
  { operationId: 'removeUltraGroupMember', tag: 'ultra-groups', method: 'delete', path: '/v1/ultra-groups/{ultraGroupId}/members/{userId}', summary: 'Remove a member from an ultra group (all its channels)', auth: 'server', success: 200, response: R.UltraGroupMembersRemovedResult, errors: server(['NOT_FOUND', 'CONCURRENCY_CONFLICT']) },
  { operationId: 'upsertUltraGroupChannel', tag: 'ultra-groups', method: 'put', path: '/v1/ultra-groups/{ultraGroupId}/channels/{channelId}', summary: 'Create or rename a channel of an ultra group (the default channel "" always exists); sends and history name it with channelId', auth: 'server', body: UpsertChannelBody, success: 200, response: R.UltraGroupChannelView, errors: server([...body, 'NOT_FOUND', 'CONCURRENCY_CONFLICT']) },
  { operationId: 'sendMessage', tag: 'messages', method: 'post', path: '/v1/messages', summary: 'Send a message (Idempotency-Key supported)', auth: 'any', body: SendMessageBody, success: 201, response: R.SendMessageResult, errors: any([...body, 'UNKNOWN_MESSAGE_TYPE', 'FORBIDDEN', 'NOT_FOUND', 'CONVERSATION_TYPE_NOT_SUPPORTED', 'CANNOT_MESSAGE_SELF', 'USE_DEDICATED_ENDPOINT', 'DIRECTED_USER_NOT_MEMBER', 'EXPANSION_NOT_ALLOWED', 'EXPANSION_KEY_LIMIT', 'CONCURRENCY_CONFLICT', 'CHANNEL_NOT_FOUND', 'REJECTED_BY_APP_SERVER', 'APP_SERVER_REPLACEMENT_INVALID', 'APP_SERVER_UNAVAILABLE']) },
  { operationId: 'recallMessage', tag: 'messages', method: 'post', path: '/v1/messages/{messageUId}/recall', summary: 'Recall a message (sender within the window; server key with isAdmin)', auth: 'any', body: RecallBody, success: 200, response: R.RecallResult, errors: any([...body, 'FORBIDDEN', 'NOT_FOUND', 'ALREADY_RECALLED', 'RECALL_WINDOW_PASSED', 'CONCURRENCY_CONFLICT']) },
  { operationId: 'appendStreamChunk', tag: 'messages', method: 'post', path: '/v1/messages/{messageUId}/stream', summary: 'Append the next chunk of an RC:StreamMsg', auth: 'any', body: StreamAppendBody, success: 200, response: R.StreamAppendResult, errors: any([...body, 'NOT_FOUND', 'MESSAGE_RECALLED', 'STREAM_COMPLETED', 'STREAM_SEQ_MISMATCH', 'NOT_A_STREAM', 'CONCURRENCY_CONFLICT']) },
  { operationId: 'patchExpansion', tag: 'expansions', method: 'patch', path: '/v1/messages/{messageUId}/expansion', summary: 'Set, remove or clear expansion keys (compare-and-set with expectedVersions; at most 64 KB in all)', auth: 'any', body: PatchExpansionBody, success: 200, response: R.ExpansionView, errors: any([...body, 'NOT_FOUND', 'EXPANSION_VERSION_CONFLICT', 'EXPANSION_NOT_ALLOWED', 'EXPANSION_KEY_LIMIT', 'TOO_MANY_KEYS_PER_CALL', 'RESERVED_EXPANSION_KEY', 'CONCURRENCY_CONFLICT']) },
  { operationId: 'getExpansion', tag: 'expansions', method: 'get', path: '/v1/messages/{messageUId}/expansion', summary: "A message's expansion: { key: { v, version, ts } }", auth: 'any', success: 200, response: R.ExpansionView, errors: any(['NOT_FOUND']) },
  { operationId: 'createRedPacket', tag: 'red-packets', method: 'post', path: '/v1/red-packets', summary: 'Create a red packet and send its app:red_packet message: the app server, after it took the payment, as the payer (X-User-Id; Idempotency-Key = its payment id); a user token is 403', auth: 'server', body: CreateRedPacketBody, success: 201, response: R.RedPacketCreated, errors: server([...body, 'NOT_FOUND', 'CONVERSATION_TYPE_NOT_SUPPORTED', 'PRIVATE_PACKET_HAS_ONE_SHARE', 'RECEIVER_NOT_MEMBER', 'AMOUNT_TOO_SMALL', 'AMOUNT_NOT_DIVISIBLE', 'MORE_SHARES_THAN_RECEIVERS', 'CONCURRENCY_CONFLICT']) },
  { operationId: 'claimRedPacket', tag: 'red-packets', method: 'post', path: '/v1/red-packets/{redPacketId}/claims', summary: 'Claim a share (a burst beyond capacity is 429 CLAIMS_BUSY with Retry-After, having claimed nothing)', auth: 'any', success: 200, response: R.RedPacketClaimed, errors: any(['CLAIMS_BUSY', 'NOT_A_RECEIVER', 'NOT_FOUND', 'ALREADY_CLAIMED', 'RED_PACKET_EXHAUSTED', 'RED_PACKET_EXPIRED', 'CONCURRENCY_CONFLICT']) },
  { operationId: 'getRedPacket', tag: 'red-packets', method: 'get', path: '/v1/red-packets/{redPacketId}', summary: 'A red packet: totals, remaining, claims, best luck, your claim', auth: 'any', success: 200, response: R.RedPacketView, errors: any(['NOT_FOUND']) },
  { operationId: 'registerMessageType', tag: 'message-types', method: 'put', path: '/v1/message-types/{objectName}', summary: 'Register a custom message type', auth: 'server', body: RegisterMessageTypeBody, success: 200, response: R.MessageTypeView, errors: server([...body, 'INVALID_OBJECT_NAME']) },
  { operationId: 'openStream', tag: 'stream', method: 'get', path: '/v1/stream', summary: 'Server-Sent Events for one device (deviceId): a user token, or a one-time ticket (?ticket=); resume with Last-Event-ID (or ?lastEventId= for a new EventSource). A private or system event names the conversation as you see it (targetId: the other side). Besides the domain event types: resync ({ reason: malformed | unknown | too_old | not_kept }: refetch conversations and history, live events follow), replaced ({ reason: device | limit }) and shutdown, after which the server closes the stream', auth: 'any', query: StreamQuery, success: 200, response: SSE, errors: ['UNAUTHORIZED', 'VALIDATION_FAILED', 'TICKET_USED', 'TICKET_EXPIRED', 'TICKET_INVALID'] },
  { operationId: 'issueStreamTicket', tag: 'stream', method: 'post', path: '/v1/stream/tickets', summary: 'A one-time ticket for GET /v1/stream?ticket= (60 s, single use, bound to the user and the optional deviceId), for EventSource, which cannot send an Authorization header', auth: 'any', body: StreamTicketBody, success: 201, response: StreamTicketIssued, errors: any(body) },
  { operationId: 'listConversations', tag: 'conversations', method: 'get', path: '/v1/conversations', summary: "The caller's conversations, most recently active first: limit 1-500 (default 100); continue with cursor=nextCursor (opaque, a keyset on last activity and conversation, so concurrent activity never repeats a row) until it is null (a page is also bounded by bytes)", auth: 'any', query: ConversationListQuery, success: 200, response: R.ConversationPageView, errors: any(['REPLY_TOO_LARGE']) },
  { operationId: 'getHistory', tag: 'conversations', method: 'get', path: '/v1/conversations/{type}/{targetId}/messages', summary: 'History, newest first, paged by seq (a page is also bounded by bytes: continue with before=nextBefore while hasMore)', auth: 'any', query: HistoryQuery, success: 200, response: R.HistoryPageView, errors: any(['NOT_FOUND', 'CHANNEL_NOT_FOUND', 'CONVERSATION_TYPE_NOT_SUPPORTED', 'REPLY_TOO_LARGE']) },
  { operationId: 'markConversationRead', tag: 'receipts', method: 'post', path: '/v1/conversations/{type}/{targetId}/read', summary: 'Move your read position forward (default: the latest message); an older seq is a no-op', auth: 'any', body: MarkReadBody, success: 200, response: R.ReadPositionView, errors: any([...body, 'NOT_FOUND', 'CONVERSATION_TYPE_NOT_SUPPORTED', 'READ_SEQ_AHEAD']) },
  { operationId: 'sendReceipts', tag: 'receipts', method: 'post', path: '/v1/receipts', summary: 'Send read receipts for up to 100 messages of others that collect them (all or nothing)', auth: 'any', body: SendReceiptsBody, success: 200, response: R.ReceiptsSent, errors: any([...body, 'NOT_FOUND', 'OWN_MESSAGE', 'RECEIPT_NOT_REQUESTED']) },
  { operationId: 'getReceipts', tag: 'receipts', method: 'get', path: '/v1/receipts', summary: 'Receipts of your own messages: { readCount, unreadCount } in groups, { isPeerRead, timestamp } in private', auth: 'any', query: ReceiptsQuery, success: 200, response: R.ReceiptsView, errors: any(['NOT_FOUND', 'RECEIPT_NOT_REQUESTED']) },
  { operationId: 'requestReceipts', tag: 'receipts', method: 'post', path: '/v1/messages/{messageUId}/receipt-request', summary: 'Turn receipts on for a message you sent (RC:RRReqMsg); idempotent', auth: 'any', success: 200, response: R.ReceiptRequested, errors: any(['NOT_FOUND']) },
  { operationId: 'listReaders', tag: 'receipts', method: 'get', path: '/v1/messages/{messageUId}/readers', summary: 'Who has (filter=read) or has not (filter=unread) read your message, paged by cursor', auth: 'any', query: ReadersQuery, success: 200, response: R.ReadersPageView, errors: any(['NOT_FOUND', 'RECEIPT_NOT_REQUESTED']) },
  { operationId: 'getSettings', tag: 'receipts', method: 'get', path: '/v1/users/me/settings', summary: 'Your read-receipt setting', auth: 'any', success: 200, response: R.UserSettingsView, errors: any([]) },
  { operationId: 'updateSettings', tag: 'receipts', method: 'put', path: '/v1/users/me/settings', summary: 'readReceipts: false stops reporting your reads to others (your own counts still clear)', auth: 'any', body: UserSettingsBody, success: 200, response: R.UserSettingsView, errors: any(body) },
  { operationId: 'registerDevice', tag: 'devices', method: 'post', path: '/v1/devices', summary: 'Register a push device: a signed webhook or a Web Push subscription (same deviceId again replaces it); its URL must be http(s) without credentials (400) and reach a public address (422 OUTBOUND_ADDRESS_REFUSED, OUTBOUND_HOST_UNRESOLVED)', auth: 'any', body: RegisterDeviceBody, success: 201, response: R.DeviceView, errors: any([...body, 'WEBHOOK_URL_NOT_ALLOWED', 'OUTBOUND_ADDRESS_REFUSED', 'OUTBOUND_HOST_UNRESOLVED', 'TOO_MANY_DEVICES']) },
  { operationId: 'getWebPushKey', tag: 'devices', method: 'get', path: '/v1/devices/webpush-key', summary: 'The VAPID public key (applicationServerKey) for Web Push subscriptions', auth: 'any', success: 200, response: R.WebPushKey, errors: any([]) },
  { operationId: 'removeDevice', tag: 'devices', method: 'delete', path: '/v1/devices/{deviceId}', summary: 'Remove a push device', auth: 'any', success: 200, response: R.DeviceRemoved, errors: any(['NOT_FOUND']) },
  { operationId: 'setNotification', tag: 'notifications', method: 'put', path: '/v1/conversations/{type}/{targetId}/notification', summary: 'Mute or unmute a conversation (a muted one pushes only mentions)', auth: 'any', body: NotificationBody, success: 200, response: R.NotificationView, errors: any([...body, 'NOT_FOUND', 'CONVERSATION_TYPE_NOT_SUPPORTED']) },
  { operationId: 'listPushes', tag: 'admin', method: 'get', path: '/v1/admin/pushes', summary: "A user's pushes, newest first, with every attempt (sent, retried, failed, skipped)", auth: 'server', query: AdminPushesQuery, success: 200, response: R.PushesPage, errors: server(['REPLY_TOO_LARGE']) },
  { operationId: 'listCallbacks', tag: 'callbacks', method: 'get', path: '/v1/callbacks', summary: 'The app-server callbacks configured (null where none); secrets are never answered', auth: 'server', success: 200, response: R.CallbacksList, errors: server([]) },
  { operationId: 'setPostSendCallback', tag: 'callbacks', method: 'put', path: '/v1/callbacks/post-send', summary: 'Set (or replace) the post-send callback: every later event of the named types is POSTed to url, signed like webhooks (id = the event id, the same on retries), retried with backoff, in order per conversation; url must reach a public address (PUSH_ALLOWED_NETWORKS)', auth: 'server', body: PostSendCallbackBody, success: 200, response: R.PostSendCallbackView, errors: server([...body, 'OUTBOUND_ADDRESS_REFUSED', 'OUTBOUND_HOST_UNRESOLVED']) },
  { operationId: 'removePostSendCallback', tag: 'callbacks', method: 'delete', path: '/v1/callbacks/post-send', summary: 'Remove the post-send callback (deliveries not yet made are given up)', auth: 'server', success: 200, response: R.CallbackRemoved, errors: server(['NOT_FOUND']) },
  { operationId: 'setBeforeSendCallback', tag: 'callbacks', method: 'put', path: '/v1/callbacks/before-send', summary: 'Set (or replace) the before-send callback: each matching send is POSTed to url first and waits up to timeoutMs for { pass } (refused: 422 REJECTED_BY_APP_SERVER; no answer: onTimeout); url must reach a public address (BEFORE_SEND_ALLOWED_NETWORKS)', auth: 'server', body: BeforeSendCallbackBody, success: 200, response: R.BeforeSendCallbackView, errors: server([...body, 'OUTBOUND_ADDRESS_REFUSED', 'OUTBOUND_HOST_UNRESOLVED']) },
  { operationId: 'removeBeforeSendCallback', tag: 'callbacks', method: 'delete', path: '/v1/callbacks/before-send', summary: 'Remove the before-send callback (sends are no longer asked about)', auth: 'server', success: 200, response: R.CallbackRemoved, errors: server(['NOT_FOUND']) },
];
