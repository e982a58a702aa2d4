import { z } from 'zod';
import { ExpansionMap } from './expansions-api';
import { ChannelId, ConversationTypeSchema, EntityId, MessageUId } from './ids';

/**
 * Request schemas of the public API, shared by the gateway (validation at the HTTP edge and
 * the OpenAPI document) and the services (validation at the NATS edge).
 */
export const UpsertUserBody = z.strictObject({
  name: z.string().min(1).max(128),
  portrait: z.string().max(1024).optional(),
});

/** Up to 1,000 profiles in one call (setting up an app's users); each id at most once. */
export const BatchUpsertUsersBody = z.strictObject({
  users: z
    .array(UpsertUserBody.extend({ userId: EntityId }))
    .min(1)
    .max(1000)
    .refine((users) => new Set(users.map((u) => u.userId)).size === users.length, { message: 'each userId at most once' }),
});

export const UpsertGroupBody = z.strictObject({
  name: z.string().min(1).max(128),
  /** The full member list; absent, the members stay as they are (a rename never empties a group). */
  memberIds: z.array(EntityId).max(10_000).optional(),
});

export const AddMembersBody = z.strictObject({ userIds: z.array(EntityId).min(1).max(1000) });

/** An ultra group is created and changed as a group is: same body, same member rules. */
export const UpsertUltraGroupBody = UpsertGroupBody;

/** A named channel of an ultra group (the default channel `""` always exists and has no name). */
export const UpsertChannelBody = z.strictObject({ name: z.string().min(1).max(128) });

/** A named (non-default) channel in a path. */
export const NamedChannelId = ChannelId.min(1, 'the default channel "" always exists; name another');

/**
 * A push's custom payload stays small: a Web Push payload is at most about 4 KB, and it carries the
 * title and text as well.
 */
export const MAX_PUSH_DATA_BYTES = 1024;

export const SendMessageBody = z.strictObject({
  conversationType: ConversationTypeSchema,
  targetId: EntityId,
  objectName: z.string().min(1).max(64),
  content: z.record(z.string(), z.unknown(), { error: 'content is a required JSON object' }),
  pushContent: z.string().max(1024).optional(),
  pushTitle: z.string().max(128).optional(),
  disablePush: z.boolean().optional(),
  disablePushTitle: z.boolean().optional(),
  /** The seed's custom push payload: delivered as the push's `data.pushData`, never shown. */
  pushData: z
    .string()
    .refine((d) => Buffer.byteLength(d, 'utf8') <= MAX_PUSH_DATA_BYTES, `pushData is at most ${MAX_PUSH_DATA_BYTES} bytes (UTF-8)`)
    .optional()
    .describe(`custom push payload (a string, at most ${MAX_PUSH_DATA_BYTES} bytes): the webhook's and Web Push payload's data.pushData`),
  isMentioned: z
    .boolean()
    .optional()
    .describe('with the server key, content.mentionedInfo is a mention only with isMentioned: true; with a user token it is one unless isMentioned: false'),
  needReadReceipt: z.boolean().optional(),
  canIncludeExpansion: z.boolean().optional(),
  directedUserIds: z.array(EntityId).min(1).max(1000).optional(),
  /** The initial expansion; needs canIncludeExpansion. */
  expansion: ExpansionMap.optional(),
  channelId: ChannelId.optional().describe('ultra groups (10) only: the channel, "" (the default) when absent'),
});
export type SendMessageBody = z.infer<typeof SendMessageBody>;

export const RegisterMessageTypeBody = z.strictObject({
  isPersisted: z.boolean(),
  isCounted: z.boolean(),
  isStatus: z.boolean().default(false),
  pushContent: z.string().max(1024).optional(),
});

export const RecallBody = z.strictObject({
  isDelete: z.boolean().optional(),
  /** With the server key: recall at any time, whoever sent it. */
  isAdmin: z.boolean().optional(),
  /** Replaces "recalled a message" in the recall's push (group pushes still name the sender). */
  pushContent: z.string().max(1024).optional(),
});

export const StreamAppendBody = z.strictObject({
  content: z.string(),
  seq: z.number().int().min(1),
  complete: z.boolean().default(false),
  completeReason: z.number().int().min(0).max(100).optional(),
});

export const HistoryQuery = z.strictObject({
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  channelId: ChannelId.optional().describe('ultra groups (10) only: the channel, "" (the default) when absent'),
});

/** `cursor` is the opaque `nextCursor` of the previous page. */
/** The conversation list: 1 to 500 per page, 100 by default. */
export const ConversationListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional(),
});

export const ConversationPath = z.strictObject({
  type: z.coerce.number().pipe(ConversationTypeSchema),
  targetId: EntityId,
});

export const TokenBody = z.strictObject({ ttlSeconds: z.number().int().min(60).max(31_536_000).optional() });

export { MessageUId };

/** Who is calling: resolved by the gateway from the server key or a user token. */
export const Actor = z.strictObject({
  userId: EntityId.nullable(),
  isServer: z.boolean(),
});
export type Actor = z.infer<typeof Actor>;
