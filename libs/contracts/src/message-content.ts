import { z } from 'zod';
import { EntityId, MessageUId } from './ids';

/**
 * The content schemas of the built-in message types (seeds: user content messages, signaling
 * messages). Every content is a loose object: keys a schema does not know are kept as sent, so a
 * newer client's fields survive. Schemas validate only; they never rewrite what they accept.
 */

/** A thumbnail (base64 `content` of images, short videos, locations) is at most this many characters. */
export const MAX_THUMBNAIL_BASE64 = 10 * 1024;
/** An HD voice message (RC:HQVCMsg) lasts at most this many seconds. */
export const MAX_VOICE_SECONDS = 60;
/** A short video (RC:SightMsg) lasts at most this many seconds (the seed's "max supported: 2 minutes"). */
export const MAX_SIGHT_SECONDS = 120;
/** A URL field (imageUri, remoteUrl, fileUrl, sightUrl, url) is at most this many characters. */
export const MAX_URL_LENGTH = 2048;
/** A file name (name of files, images, voices, videos) is at most this many characters. */
export const MAX_FILE_NAME_LENGTH = 256;

type IssueLike = { input?: unknown };

/** One message for both failures of a field: missing ("is required") and the wrong type ("must be"). */
function fieldError(field: string, what: string): (iss: IssueLike) => string {
  return (iss) => (iss.input === undefined ? `${field} is required: ${what}` : `${field} must be ${what}`);
}

function text(field: string, what = 'a string'): z.ZodString {
  return z.string({ error: fieldError(field, what) });
}

function url(field: string, what: string): z.ZodString {
  return z
    .string({ error: fieldError(field, `${what} (a URL string)`) })
    .min(1, `${field} may not be empty`)
    .max(MAX_URL_LENGTH, `${field} is at most ${MAX_URL_LENGTH} characters`);
}

function fileName(field = 'name'): z.ZodString {
  return text(field, 'the file name (a string)').max(MAX_FILE_NAME_LENGTH, `${field} is at most ${MAX_FILE_NAME_LENGTH} characters`);
}

/** A non-negative whole number (the seeds' Int). */
function count(field: string, what: string) {
  return z.int({ error: fieldError(field, `${what} (a whole number)`) }).min(0, `${field} may not be negative`);
}

/** The seeds' "String" sizes are numbers in their own examples: either is accepted. */
function byteSize(field: string) {
  return z.union(
    [
      z.int().min(0, `${field} may not be negative`),
      z.string().regex(/^\d{1,16}$/, `${field} as a string is digits only (the size in bytes)`),
    ],
    { error: fieldError(field, 'the size in bytes: a whole number or a string of digits') },
  );
}

/** A time in epoch milliseconds (the seeds' Int timestamps). */
function epochMs(field: string) {
  return z.int({ error: fieldError(field, 'a time in epoch milliseconds (a whole number)') }).min(0, `${field} may not be negative`);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * A base64 thumbnail as the seeds ask for it: the data only (no `data:` URI prefix), no line
 * breaks, at most 10 KB of base64 characters.
 */
export function base64Thumbnail(field = 'content') {
  return z
    .string({ error: fieldError(field, 'the base64-encoded thumbnail (a string)') })
    .min(1, `${field} is the base64-encoded thumbnail and may not be empty`)
    .max(
      MAX_THUMBNAIL_BASE64,
      `${field} (the thumbnail) is at most ${MAX_THUMBNAIL_BASE64} base64 characters (10 KB); send a smaller thumbnail (about 240 px on the longest edge)`,
    )
    .superRefine((s, ctx) => {
      if (/^data:/i.test(s)) {
        ctx.addIssue({ code: 'custom', message: `${field} is raw base64: strip the data URI prefix (e.g. "data:image/jpeg;base64,")` });
      } else if (/[\r\n]/.test(s)) {
        ctx.addIssue({ code: 'custom', message: `${field} is base64 without line breaks: remove every \\r and \\n after encoding` });
      } else if (!BASE64.test(s)) {
        ctx.addIssue({ code: 'custom', message: `${field} is not base64 (only A-Z a-z 0-9 + / and trailing = padding)` });
      }
    });
}

export const MentionedInfo = z
  .object({
    type: z.union([z.literal(1), z.literal(2)], { error: 'mentionedInfo.type is 1 (all) or 2 (users)' }),
    userIdList: z.array(EntityId).max(1000).optional(),
    mentionedContent: z.string().max(1024).optional(),
  })
  .refine((m) => m.type !== 2 || (m.userIdList?.length ?? 0) > 0, {
    message: 'userIdList is required when mentionedInfo.type is 2',
    path: ['userIdList'],
  });
export type MentionedInfo = z.infer<typeof MentionedInfo>;

/** The sender info a client may embed in content. */
const EmbeddedUser = z.looseObject(
  {
    id: text('user.id').optional(),
    name: text('user.name').optional(),
    portrait: text('user.portrait', 'the avatar URL (a string)').optional(),
    extra: text('user.extra').optional(),
  },
  { error: fieldError('user', 'the sender info (an object)') },
);

const common = {
  user: EmbeddedUser.optional(),
  extra: text('extra').optional(),
};

/** The client-side file path: the seeds list it, but the server never sets it, so it is optional. */
const localPath = text('localPath', 'the client-side file path (a string)').optional();

// ---------------------------------------------------------------------------------------------
// User content messages
// ---------------------------------------------------------------------------------------------

export const TxtMsgContent = z.looseObject({
  content: z.string({ error: 'content is a required string' }),
  mentionedInfo: MentionedInfo.optional(),
  ...common,
});

export const ImgMsgContent = z.looseObject({
  content: base64Thumbnail('content'),
  name: fileName().optional(),
  localPath,
  imageUri: url('imageUri', 'the URL of the full image'),
  ...common,
});

export const GIFMsgContent = z.looseObject({
  gifDataSize: count('gifDataSize', 'the GIF file size in bytes'),
  name: fileName().optional(),
  localPath,
  remoteUrl: url('remoteUrl', 'the URL of the GIF'),
  width: count('width', 'the width in pixels'),
  height: count('height', 'the height in pixels'),
  ...common,
});

export const HQVCMsgContent = z.looseObject({
  name: fileName().optional(),
  localPath,
  remoteUrl: url('remoteUrl', 'the URL of the AAC audio file'),
  duration: count('duration', 'the voice duration in seconds').max(
    MAX_VOICE_SECONDS,
    `duration is at most ${MAX_VOICE_SECONDS} seconds for a voice message`,
  ),
  ...common,
});

export const FileMsgContent = z.looseObject({
  name: fileName().optional(),
  size: byteSize('size'),
  type: text('type', 'the file type or extension (a string)').max(64, 'type is at most 64 characters'),
  localPath,
  fileUrl: url('fileUrl', 'the URL of the file'),
  ...common,
});

export const SightMsgContent = z.looseObject({
  sightUrl: url('sightUrl', 'the URL of the video file'),
  content: base64Thumbnail('content'),
  duration: count('duration', 'the video duration in seconds').max(
    MAX_SIGHT_SECONDS,
    `duration is at most ${MAX_SIGHT_SECONDS} seconds for a short video`,
  ),
  size: byteSize('size'),
  name: fileName(),
  ...common,
});

export const LBSMsgContent = z.looseObject({
  content: base64Thumbnail('content'),
  latitude: z
    .number({ error: fieldError('latitude', 'a number') })
    .min(-90, 'latitude is between -90 and 90')
    .max(90, 'latitude is between -90 and 90'),
  longitude: z
    .number({ error: fieldError('longitude', 'a number') })
    .min(-180, 'longitude is between -180 and 180')
    .max(180, 'longitude is between -180 and 180'),
  poi: text('poi', 'the name of the location (a string)').max(1024, 'poi is at most 1024 characters'),
  ...common,
});

/** The types a quote (RC:ReferenceMsg) may quote, with the schema its referMsg is checked against. */
export const QUOTABLE_CONTENT = {
  'RC:TxtMsg': TxtMsgContent,
  'RC:ImgMsg': ImgMsgContent,
  'RC:FileMsg': FileMsgContent,
} as const;
type QuotableName = keyof typeof QUOTABLE_CONTENT;
const QUOTABLE_NAMES = Object.keys(QUOTABLE_CONTENT) as QuotableName[];

export const ReferenceMsgContent = z
  .looseObject({
    content: text('content', 'the text of the reply (a string)'),
    referMsgUserId: z.string({ error: fieldError('referMsgUserId', 'the user id of the quoted message’s sender') }).pipe(EntityId),
    objName: z.enum(QUOTABLE_NAMES as [QuotableName, ...QuotableName[]], {
      error: fieldError('objName', `the quoted message's type: one of ${QUOTABLE_NAMES.join(', ')}`),
    }),
    referMsg: z.record(z.string(), z.unknown(), { error: fieldError('referMsg', 'the quoted message’s content (an object)') }),
    mentionedInfo: MentionedInfo.optional(),
    ...common,
  })
  // The quoted content is checked against its own type's schema, even when other fields failed.
  .superRefine(
    (c, ctx) => {
      const value = c as Record<string, unknown>;
      const schema = QUOTABLE_CONTENT[value.objName as QuotableName];
      const referMsg = value.referMsg;
      if (!schema || typeof referMsg !== 'object' || referMsg === null || Array.isArray(referMsg)) return;
      const quoted = schema.safeParse(referMsg);
      if (quoted.success) return;
      for (const issue of quoted.error.issues) {
        ctx.addIssue({ code: 'custom', path: ['referMsg', ...issue.path], message: `${value.objName} referMsg: ${issue.message}` });
      }
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );

export const CombineMsgContent = z.looseObject({
  localPath,
  remoteUrl: url('remoteUrl', 'the URL of the HTML file'),
  conversationType: z.union([z.literal(1), z.literal(3)], {
    error: fieldError('conversationType', 'the type of the forwarded conversation: 1 (private) or 3 (group)'),
  }),
  nameList: z
    .array(text('nameList[]'), { error: fieldError('nameList', 'the names of the first senders (an array of strings)') })
    .max(4, 'nameList holds at most 4 names (the senders of the first 4 messages)'),
  summaryList: z
    .array(text('summaryList[]'), { error: fieldError('summaryList', 'the summaries of the first messages (an array of strings)') })
    .max(4, 'summaryList holds at most 4 summaries (the first 4 messages)'),
  ...common,
});

export const ImgTextMsgContent = z.looseObject({
  title: text('title').max(256, 'title is at most 256 characters'),
  content: text('content'),
  imageUri: url('imageUri', 'the URL of the image'),
  url: url('url', 'the URL opened when the image is tapped'),
  ...common,
});

/** The bot extension data of a stream: a JSON object whose values are strings. */
const StringMap = (field: string) =>
  z.record(z.string(), z.string({ error: `${field} values are strings` }), {
    error: fieldError(field, 'a JSON object of string values'),
  });

/**
 * The first chunk of a streaming message, the one sent with `POST /v1/messages` (later chunks go
 * to `POST /v1/messages/{messageUId}/stream`): seq 1 and no messageUID.
 */
export const StreamMsgContent = z.looseObject({
  content: text('content', 'the first chunk of the stream (a string)'),
  seq: z.literal(1, { error: fieldError('seq', '1 on the first chunk (later chunks go to POST /v1/messages/{messageUId}/stream)') }),
  complete: z.boolean({ error: fieldError('complete', 'a boolean: whether this chunk ends the stream') }),
  completeReason: z.int({ error: fieldError('completeReason', 'a whole number') }).optional(),
  type: z.enum(['text', 'markdown', 'html'], { error: fieldError('type', 'one of text, markdown, html') }).optional(),
  messageUID: z
    .never({ error: 'messageUID is omitted on the first chunk: the server assigns the messageUId; append with POST /v1/messages/{messageUId}/stream' })
    .optional(),
  mentionedInfo: MentionedInfo.optional(),
  user: z
    .looseObject(
      {
        id: text('user.id').optional(),
        name: text('user.name').optional(),
        portrait: text('user.portrait').optional(),
        extra: StringMap('user.extra').optional(),
      },
      { error: fieldError('user', 'the sender info (an object)') },
    )
    .optional(),
  extra: StringMap('extra').optional(),
});

// ---------------------------------------------------------------------------------------------
// Notices and signaling messages
// ---------------------------------------------------------------------------------------------

/** A grey-bar notice: the message to show. */
export const InfoNtfContent = z.looseObject({
  message: text('message', 'the notice text (a string)').max(1024, 'message is at most 1024 characters'),
  ...common,
});

export const CmdMsgContent = z.looseObject({
  name: text('name', 'the command name (a string)').min(1, 'name may not be empty').max(128, 'name is at most 128 characters'),
  data: text('data', 'the command content (a string)'),
  ...common,
});

/** The recall command, with the seed's field names. */
export const RcCmdContent = z.looseObject({
  MessageUId: z.string({ error: fieldError('MessageUId', 'the messageUId of the recalled message') }).pipe(MessageUId),
  TargetId: text('TargetId', 'the conversation target id (a string)').min(1, 'TargetId may not be empty'),
  /** Ultra-group channel id: not applicable to the conversation types built so far. */
  ChannelId: text('ChannelId').optional(),
  SentTime: z.union(
    [z.int().min(0, 'SentTime may not be negative'), z.string().regex(/^\d{1,16}$/, 'SentTime as a string is digits only')],
    {
      error: fieldError('SentTime', 'the sent time of the recalled message in epoch ms (a number or a string of digits)'),
    },
  ),
  ConversationType: z.union(
    [z.int().min(1, 'ConversationType is positive'), z.string().regex(/^\d{1,2}$/, 'ConversationType as a string is digits only')],
    {
      error: fieldError('ConversationType', 'the conversation type (a number or a string of digits)'),
    },
  ),
  isAdmin: z.boolean({ error: fieldError('isAdmin', 'a boolean') }),
  isDelete: z.boolean({ error: fieldError('isDelete', 'a boolean') }),
  ...common,
});

export const ReadNtfContent = z.looseObject({
  lastMessageSendTime: epochMs('lastMessageSendTime'),
  /** The seed: web clients include it, mobile clients do not. */
  messageUId: z.string({ error: fieldError('messageUId', 'the messageUId of the last read message') }).pipe(MessageUId).optional(),
  type: z.literal(1, { error: fieldError('type', '1: read notifications are for private conversations only') }),
  ...common,
});

export const RRReqMsgContent = z.looseObject({
  messageUId: z.string({ error: fieldError('messageUId', 'the messageUId a read receipt is requested for') }).pipe(MessageUId),
  ...common,
});

export const RRRspMsgContent = z.looseObject({
  receiptMessageDic: z.record(EntityId, z.array(MessageUId, { error: 'receiptMessageDic values are arrays of messageUIds' }), {
    error: (iss) =>
      iss.code === 'invalid_key'
        ? 'receiptMessageDic keys are the user ids of the senders'
        : fieldError('receiptMessageDic', 'an object from the sender userId to the messageUIds read')(iss),
  }),
  ...common,
});

export const SRSMsgContent = z.looseObject({
  lastMessageSendTime: epochMs('lastMessageSendTime'),
  ...common,
});

export const ChrmKVNotiMsgContent = z.looseObject({
  type: z.union([z.literal(1), z.literal(2)], { error: fieldError('type', '1 (attribute set) or 2 (attribute deleted)') }),
  key: text('key', 'the attribute name (a string)').min(1, 'key may not be empty').max(128, 'key is at most 128 characters'),
  value: text('value', 'the attribute value (a string)').max(4096, 'value is at most 4096 characters'),
  ...common,
});
