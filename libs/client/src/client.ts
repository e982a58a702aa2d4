import type { Method, Path, Query, Reply, RequestBody } from './operation-types';
import { openStream, StreamHandle, StreamOptions } from './stream';
import { CallInit, ImClientOptions, Transport } from './transport';

type Params = Record<string, string | number>;
type Body<P extends Path, M extends Method> = RequestBody<P, M>;
type Conversation = { conversationType: number; targetId: string };

/**
 * The IM backend's REST API, typed by the types generated from its OpenAPI document
 * (`openapi.ts`): each method is one operation, named after its operationId.
 *
 *   const ana = new ImClient({ baseUrl, token });
 *   await ana.sendMessage({ conversationType: 1, targetId: 'bob', objectName: 'RC:TxtMsg', content: { content: 'hi' } });
 */
export class ImClient {
  private readonly transport: Transport;

  constructor(readonly options: ImClientOptions) {
    this.transport = new Transport(options);
  }

  /** With the server key: the same client acting as `userId` (`X-User-Id`). */
  as(userId: string): ImClient {
    return new ImClient({ ...this.options, token: undefined, userId });
  }

  /** Any operation, typed by its path and method; `params` fill the `{placeholders}` of the path. */
  request<P extends Path, M extends Method>(
    method: M,
    path: P,
    init: { params?: Params; query?: Query<P, M>; body?: Body<P, M>; idempotencyKey?: string } = {},
  ): Promise<Reply<P, M>> {
    const url = path.replace(/\{(\w+)\}/g, (_, name: string) => {
      if (init.params?.[name] === undefined) throw new Error(`${path} needs ${name}`);
      return encodeURIComponent(String(init.params[name]));
    });
    return this.transport.call<Reply<P, M>>(method.toUpperCase(), url, init as CallInit);
  }

  /** The real-time stream of this client's user on one device, resuming with Last-Event-ID. */
  stream(options: StreamOptions): StreamHandle {
    return openStream(this.transport, options);
  }

  // Users and groups (server key)
  upsertUser = (userId: string, body: Body<'/v1/users/{userId}', 'put'>) => this.request('put', '/v1/users/{userId}', { params: { userId }, body });
  upsertUsers = (users: Body<'/v1/users/batch', 'post'>['users']) => this.request('post', '/v1/users/batch', { body: { users } });
  issueToken = (userId: string, body: Body<'/v1/users/{userId}/token', 'post'> = {}) => this.request('post', '/v1/users/{userId}/token', { params: { userId }, body });
  upsertGroup = (groupId: string, body: Body<'/v1/groups/{groupId}', 'put'>) => this.request('put', '/v1/groups/{groupId}', { params: { groupId }, body });
  addGroupMembers = (groupId: string, userIds: string[]) => this.request('post', '/v1/groups/{groupId}/members', { params: { groupId }, body: { userIds } });
  removeGroupMember = (groupId: string, userId: string) => this.request('delete', '/v1/groups/{groupId}/members/{userId}', { params: { groupId, userId } });
  registerMessageType = (objectName: string, body: Body<'/v1/message-types/{objectName}', 'put'>) =>
    this.request('put', '/v1/message-types/{objectName}', { params: { objectName }, body });

  // Messages
  sendMessage = (body: Body<'/v1/messages', 'post'>, opts: { idempotencyKey?: string } = {}) => this.request('post', '/v1/messages', { body, ...opts });
  recallMessage = (messageUId: string, body: Body<'/v1/messages/{messageUId}/recall', 'post'> = {}) =>
    this.request('post', '/v1/messages/{messageUId}/recall', { params: { messageUId }, body });
  appendStreamChunk = (messageUId: string, body: Body<'/v1/messages/{messageUId}/stream', 'post'>) =>
    this.request('post', '/v1/messages/{messageUId}/stream', { params: { messageUId }, body });

  // Conversations and history
  listConversations = (query: Query<'/v1/conversations', 'get'> = {}) => this.request('get', '/v1/conversations', { query });
  getHistory = (c: Conversation, query: Query<'/v1/conversations/{type}/{targetId}/messages', 'get'> = {}) =>
    this.request('get', '/v1/conversations/{type}/{targetId}/messages', { params: { type: c.conversationType, targetId: c.targetId }, query });

  // Expansions and red packets
  patchExpansion = (messageUId: string, body: Body<'/v1/messages/{messageUId}/expansion', 'patch'>) =>
    this.request('patch', '/v1/messages/{messageUId}/expansion', { params: { messageUId }, body });
  getExpansion = (messageUId: string) => this.request('get', '/v1/messages/{messageUId}/expansion', { params: { messageUId } });
  /** `paymentId` is the Idempotency-Key: the same payment creates one packet, however often it is sent. */
  createRedPacket = (body: Body<'/v1/red-packets', 'post'>, paymentId?: string) => this.request('post', '/v1/red-packets', { body, idempotencyKey: paymentId });
  claimRedPacket = (redPacketId: string) => this.request('post', '/v1/red-packets/{redPacketId}/claims', { params: { redPacketId } });
  getRedPacket = (redPacketId: string) => this.request('get', '/v1/red-packets/{redPacketId}', { params: { redPacketId } });

  // Read positions and receipts
  markConversationRead = (c: Conversation, body: Body<'/v1/conversations/{type}/{targetId}/read', 'post'> = {}) =>
    this.request('post', '/v1/conversations/{type}/{targetId}/read', { params: { type: c.conversationType, targetId: c.targetId }, body });
  sendReceipts = (messageUIds: string[]) => this.request('post', '/v1/receipts', { body: { messageUIds } });
  getReceipts = (messageUIds: string[]) => this.request('get', '/v1/receipts', { query: { messageUIds: messageUIds.join(',') } });
  requestReceipts = (messageUId: string) => this.request('post', '/v1/messages/{messageUId}/receipt-request', { params: { messageUId } });
  listReaders = (messageUId: string, query: Query<'/v1/messages/{messageUId}/readers', 'get'> = {}) =>
    this.request('get', '/v1/messages/{messageUId}/readers', { params: { messageUId }, query });
  getSettings = () => this.request('get', '/v1/users/me/settings');
  updateSettings = (body: Body<'/v1/users/me/settings', 'put'>) => this.request('put', '/v1/users/me/settings', { body });

  // Devices and notifications
  registerDevice = (body: Body<'/v1/devices', 'post'>) => this.request('post', '/v1/devices', { body });
  removeDevice = (deviceId: string) => this.request('delete', '/v1/devices/{deviceId}', { params: { deviceId } });
  getWebPushKey = () => this.request('get', '/v1/devices/webpush-key');
  setNotification = (c: Conversation, muted: boolean) =>
    this.request('put', '/v1/conversations/{type}/{targetId}/notification', { params: { type: c.conversationType, targetId: c.targetId }, body: { muted } });
  listPushes = (query: Query<'/v1/admin/pushes', 'get'>) => this.request('get', '/v1/admin/pushes', { query });
}
