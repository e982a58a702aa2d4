import {
  AddMembersBody,
  BatchUpsertUsersBody,
  CreateRedPacketBody,
  PatchExpansionBody,
  ConversationListQuery,
  HistoryQuery,
  RecallBody,
  RegisterMessageTypeBody,
  SendMessageBody,
  StreamAppendBody,
  TokenBody,
  UpsertGroupBody,
  UpsertUserBody,
} from '@im/contracts';
import { z } from 'zod';
import { StreamQuery } from '../stream/stream.controller';
import { MarkReadBody, ReadersQuery, ReceiptsQuery, SendReceiptsBody, UserSettingsBody } from '@im/contracts';
import { AdminPushesQuery, NotificationBody, RegisterDeviceBody } from '@im/contracts';

type Auth = 'public' | 'server' | 'user' | 'any';

interface Operation {
  method: 'get' | 'put' | 'post' | 'delete' | 'patch';
  path: string;
  summary: string;
  auth: Auth;
  body?: z.ZodType;
  query?: z.ZodObject;
  success: number;
  errors: number[];
}

/**
 * Every route the gateway serves. A test compares this list with the routes Fastify actually
 * registered, so the document cannot drift from the code.
 */
export const OPERATIONS: Operation[] = [
  { method: 'get', path: '/health', summary: 'Ready when NATS and every service answer', auth: 'public', success: 200, errors: [503] },
  { method: 'put', path: '/v1/users/{userId}', summary: 'Create or update a user profile', auth: 'server', body: UpsertUserBody, success: 200, errors: [400, 401, 403] },
  { method: 'post', path: '/v1/users/batch', summary: 'Create or update up to 1,000 user profiles at once (idempotent: an unchanged profile changes nothing)', auth: 'server', body: BatchUpsertUsersBody, success: 200, errors: [400, 401, 403] },
  { method: 'post', path: '/v1/users/{userId}/token', summary: 'Issue a signed user token', auth: 'server', body: TokenBody, success: 200, errors: [400, 401, 403, 404] },
  { method: 'put', path: '/v1/groups/{groupId}', summary: 'Create or update a group; memberIds, when given, is the full member list (without it the members stay)', auth: 'server', body: UpsertGroupBody, success: 200, errors: [400, 401, 403, 404] },
  { method: 'post', path: '/v1/groups/{groupId}/members', summary: 'Add members to a group', auth: 'server', body: AddMembersBody, success: 200, errors: [400, 401, 403, 404] },
  { method: 'delete', path: '/v1/groups/{groupId}/members/{userId}', summary: 'Remove a member from a group', auth: 'server', success: 200, errors: [401, 403, 404] },
  { method: 'post', path: '/v1/messages', summary: 'Send a message (Idempotency-Key supported)', auth: 'any', body: SendMessageBody, success: 201, errors: [400, 401, 403, 404, 413, 422] },
  { method: 'post', path: '/v1/messages/{messageUId}/recall', summary: 'Recall a message (sender within the window; server key with isAdmin)', auth: 'any', body: RecallBody, success: 200, errors: [400, 401, 403, 404, 409, 422] },
  { method: 'post', path: '/v1/messages/{messageUId}/stream', summary: 'Append the next chunk of an RC:StreamMsg', auth: 'any', body: StreamAppendBody, success: 200, errors: [400, 401, 404, 409, 413, 422] },
  { method: 'patch', path: '/v1/messages/{messageUId}/expansion', summary: 'Set, remove or clear expansion keys (compare-and-set with expectedVersions; at most 64 KB in all)', auth: 'any', body: PatchExpansionBody, success: 200, errors: [400, 401, 404, 409, 413, 422] },
  { method: 'get', path: '/v1/messages/{messageUId}/expansion', summary: "A message's expansion: { key: { v, version, ts } }", auth: 'any', success: 200, errors: [401, 404] },
  { method: 'post', path: '/v1/red-packets', summary: 'Create a red packet and send its app:red_packet message: the app server, after it took the payment, as the payer (X-User-Id; Idempotency-Key = its payment id); a user token is 403', auth: 'server', body: CreateRedPacketBody, success: 201, errors: [400, 401, 403, 404, 422] },
  { method: 'post', path: '/v1/red-packets/{redPacketId}/claims', summary: 'Claim a share (a burst beyond capacity is 429 CLAIMS_BUSY with Retry-After, having claimed nothing)', auth: 'any', success: 200, errors: [401, 403, 404, 409, 410, 429] },
  { method: 'get', path: '/v1/red-packets/{redPacketId}', summary: 'A red packet: totals, remaining, claims, best luck, your claim', auth: 'any', success: 200, errors: [401, 404] },
  { method: 'put', path: '/v1/message-types/{objectName}', summary: 'Register a custom message type', auth: 'server', body: RegisterMessageTypeBody, success: 200, errors: [400, 401, 403] },
  { method: 'get', path: '/v1/stream', summary: 'Server-Sent Events for one device (deviceId); resume with Last-Event-ID. A private or system event names the conversation as you see it (targetId: the other side)', auth: 'any', query: StreamQuery, success: 200, errors: [400, 401] },
  { method: 'get', path: '/v1/conversations', summary: "The caller's conversations, most recently active first: limit 1-500 (default 100); continue with cursor=nextCursor (opaque, a keyset on last activity and conversation, so concurrent activity never repeats a row) until it is null (a page is also bounded by bytes)", auth: 'any', query: ConversationListQuery, success: 200, errors: [400, 401] },
  { method: 'get', path: '/v1/conversations/{type}/{targetId}/messages', summary: 'History, newest first, paged by seq (a page is also bounded by bytes: continue with before=nextBefore while hasMore)', auth: 'any', query: HistoryQuery, success: 200, errors: [400, 401, 404, 422] },
  { method: 'post', path: '/v1/conversations/{type}/{targetId}/read', summary: 'Move your read position forward (default: the latest message); an older seq is a no-op', auth: 'any', body: MarkReadBody, success: 200, errors: [400, 401, 404, 422] },
  { method: 'post', path: '/v1/receipts', summary: 'Send read receipts for up to 100 messages of others that collect them (all or nothing)', auth: 'any', body: SendReceiptsBody, success: 200, errors: [400, 401, 404, 422] },
  { method: 'get', path: '/v1/receipts', summary: 'Receipts of your own messages: { readCount, unreadCount } in groups, { isPeerRead, timestamp } in private', auth: 'any', query: ReceiptsQuery, success: 200, errors: [400, 401, 404, 422] },
  { method: 'post', path: '/v1/messages/{messageUId}/receipt-request', summary: 'Turn receipts on for a message you sent (RC:RRReqMsg); idempotent', auth: 'any', success: 200, errors: [400, 401, 404] },
  { method: 'get', path: '/v1/messages/{messageUId}/readers', summary: 'Who has (filter=read) or has not (filter=unread) read your message, paged by cursor', auth: 'any', query: ReadersQuery, success: 200, errors: [400, 401, 404, 422] },
  { method: 'get', path: '/v1/users/me/settings', summary: 'Your read-receipt setting', auth: 'any', success: 200, errors: [400, 401] },
  { method: 'put', path: '/v1/users/me/settings', summary: 'readReceipts: false stops reporting your reads to others (your own counts still clear)', auth: 'any', body: UserSettingsBody, success: 200, errors: [400, 401] },
  { method: 'post', path: '/v1/devices', summary: 'Register a push device: a signed webhook or a Web Push subscription (same deviceId again replaces it); its URL must be http(s) without credentials (400) and reach a public address (422 OUTBOUND_ADDRESS_REFUSED, OUTBOUND_HOST_UNRESOLVED)', auth: 'any', body: RegisterDeviceBody, success: 201, errors: [400, 401, 422, 503] },
  { method: 'get', path: '/v1/devices/webpush-key', summary: 'The VAPID public key (applicationServerKey) for Web Push subscriptions', auth: 'any', success: 200, errors: [401] },
  { method: 'delete', path: '/v1/devices/{deviceId}', summary: 'Remove a push device', auth: 'any', success: 200, errors: [400, 401, 404] },
  { method: 'put', path: '/v1/conversations/{type}/{targetId}/notification', summary: 'Mute or unmute a conversation (a muted one pushes only mentions)', auth: 'any', body: NotificationBody, success: 200, errors: [400, 401, 404, 422] },
  { method: 'get', path: '/v1/admin/pushes', summary: "A user's pushes, newest first, with every attempt (sent, retried, failed, skipped)", auth: 'server', query: AdminPushesQuery, success: 200, errors: [400, 401, 403] },
];

const ErrorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string', example: 'VALIDATION_FAILED' }, message: { type: 'string' }, details: {} },
    },
  },
};

function jsonSchema(schema: z.ZodType): unknown {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
}

function parameters(op: Operation): unknown[] {
  const path = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  const query = op.query
    ? Object.entries((jsonSchema(op.query) as { properties: Record<string, unknown> }).properties).map(([name, schema]) => ({ name, in: 'query', required: false, schema }))
    : [];
  const headers = op.auth === 'server' || op.auth === 'any'
    ? [{ name: 'X-User-Id', in: 'header', required: false, description: 'With the server key: the user the call acts as', schema: { type: 'string' } }]
    : [];
  const idempotency = isWrite(op) ? [IDEMPOTENCY_KEY] : [];
  return [...path, ...query, ...headers, ...idempotency];
}

const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'A retry with the same key (per credential, kept 24 h) gets the first answer, status and body, with `Idempotent-Replayed: true`; ' +
    'the same key for another body, route or method is 422 IDEMPOTENCY_KEY_REUSED; while the first is still running, 409 IDEMPOTENCY_KEY_IN_FLIGHT with Retry-After. ' +
    '5xx and 429 answers are not kept, so their retry runs again.',
  schema: { type: 'string', minLength: 1, maxLength: 128 },
};

const RETRY_AFTER = { 'Retry-After': { description: 'Whole seconds to wait before trying again', schema: { type: 'integer', minimum: 1 } } };

function isWrite(op: Operation): boolean {
  return op.method !== 'get';
}

/** Every authenticated call may be rate limited; every write may meet its Idempotency-Key again. */
function errorsOf(op: Operation): number[] {
  const extra = op.auth === 'public' ? [] : isWrite(op) ? [409, 422, 429] : [429];
  return [...new Set([...op.errors, ...extra])].sort((a, b) => a - b);
}

function operation(op: Operation): Record<string, unknown> {
  const responses: Record<string, unknown> = { [op.success]: { description: 'OK' } };
  for (const status of errorsOf(op)) {
    const headers = status === 429 || (status === 409 && isWrite(op)) ? { headers: RETRY_AFTER } : {};
    const description = status === 429 ? 'Rate limited (RATE_LIMITED), or a service at capacity (CLAIMS_BUSY): nothing was done' : 'Error';
    responses[status] = { description, ...headers, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  }
  return {
    summary: op.summary,
    security: op.auth === 'public' ? [] : op.auth === 'server' ? [{ serverKey: [] }] : [{ serverKey: [] }, { userToken: [] }],
    parameters: parameters(op),
    ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body) } } } } : {}),
    responses,
  };
}

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) (paths[op.path] ??= {})[op.method] = operation(op);
  return {
    openapi: '3.1.0',
    info: { title: 'IM backend gateway', version: '0.1.0', description:
        'REST API of the event-sourced IM backend. Errors are `{ error: { code, message, details } }`. ' +
        'Calls are rate limited per credential (each user token, and the server key): 429 RATE_LIMITED with Retry-After (see the README for the limits and their variables).',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        serverKey: { type: 'http', scheme: 'bearer', description: 'The app backend key (IM_API_KEY)' },
        userToken: { type: 'http', scheme: 'bearer', description: 'A token from POST /v1/users/{userId}/token' },
      },
      schemas: { Error: ErrorSchema },
    },
    paths,
  };
}
