import { BUILT_IN_MESSAGE_TYPES, ConversationType, EventData, MentionedInfo } from '@im/contracts';

/** The push rules of a message, pure: who may be pushed, with which title and text. */
type Sent = EventData<'message.sent'>;
type Recalled = EventData<'message.recalled'>;

export const STREAM_OBJECT_NAME = 'RC:StreamMsg';

export const RECALL_TEXT = BUILT_IN_MESSAGE_TYPES.get('RC:RcCmd')!.pushText({}) ?? 'recalled a message';

/**
 * The type's default text: the catalogue's for a built-in, the registered `pushContent` for a
 * custom type (`customPushContent`, null when it has none or is unknown).
 */
export function defaultText(m: Pick<Sent, 'objectName' | 'content'>, customPushContent: string | null): string | null {
  const builtIn = BUILT_IN_MESSAGE_TYPES.get(m.objectName);
  return builtIn ? builtIn.pushText(m.content) : customPushContent;
}

/**
 * Only then is anyone pushed: not a status message, not opted out, not a chatroom. Whether a
 * message has a text (a stored type's default, the sender's pushContent, a non-stored type only
 * with one) decides the rest: see pushBody.
 */
export function mayPush(m: Pick<Sent, 'isStatus' | 'disablePush' | 'conversationType'>): boolean {
  return !m.isStatus && !m.disablePush && m.conversationType !== ConversationType.CHATROOM;
}

export function isMentioned(m: Pick<Sent, 'mention'>, userId: string): boolean {
  if (!m.mention) return false;
  return m.mention.type === 1 || m.mention.userIds.includes(userId);
}

/** Who is considered: not the sender, not outside a directed message (members come resolved). */
export function candidates(m: Pick<Sent, 'senderId' | 'directedUserIds'>, members: string[]): string[] {
  const directed = m.directedUserIds;
  return members.filter((u) => u !== m.senderId && (!directed || directed.includes(u)));
}

/** A muted conversation still pushes a mention. */
export function passesMute(muted: boolean, mentioned: boolean): boolean {
  return !muted || mentioned;
}

export interface PushBody {
  body: string;
  /** The type's own text was used (not pushContent nor mentionedContent): a stream's grows with its chunks. */
  isDefault: boolean;
}

/**
 * The text of a push: for the mentioned, their `mentionedContent` exactly as given (the seed: it
 * overrides every other); else `pushContent`, else the type's default, prefixed "Sender: " in
 * groups. Null: no text, no push.
 */
export function pushBody(m: Pick<Sent, 'pushContent' | 'content' | 'conversationType'>, typeText: string | null, mentioned: boolean, senderName: string): PushBody | null {
  const mentionedContent = mentioned ? (m.content.mentionedInfo as MentionedInfo | undefined)?.mentionedContent : undefined;
  if (mentionedContent) return { body: mentionedContent, isDefault: false };
  const text = m.pushContent || typeText;
  if (!text) return null;
  return { body: withSender(m.conversationType, senderName, text), isDefault: !m.pushContent };
}

/** The recall's push: its `pushContent`, else "recalled a message", named like any group text. */
export function recallBody(r: Pick<Recalled, 'conversationType' | 'pushContent'>, senderName: string): string {
  return withSender(r.conversationType, senderName, r.pushContent || RECALL_TEXT);
}

/**
 * A stream still being written is pushed with "the text so far": when it completes, or this long
 * after its first chunk, whichever comes first. Null: due at once (any other message, or a stream
 * complete in its first chunk).
 */
export function streamDueAt(m: Pick<Sent, 'objectName' | 'content' | 'sentTime'>, delayMs: number): number | null {
  if (m.objectName !== STREAM_OBJECT_NAME || m.content.complete === true) return null;
  return m.sentTime + delayMs;
}

/** Group (and ultra-group) texts name their sender. */
export function withSender(conversationType: number, senderName: string, text: string): string {
  return conversationType === ConversationType.GROUP || conversationType === ConversationType.ULTRA_GROUP ? `${senderName}: ${text}` : text;
}

/** `pushTitle` if given; else the group's name, or the sender's (private, system); `disablePushTitle` drops it. */
export function pushTitle(m: Pick<Sent, 'conversationType' | 'pushTitle' | 'disablePushTitle'>, names: { sender: string; group: string }): string | null {
  if (m.disablePushTitle) return null;
  if (m.pushTitle) return m.pushTitle;
  return m.conversationType === ConversationType.GROUP || m.conversationType === ConversationType.ULTRA_GROUP ? names.group : names.sender;
}

/** Backoff before attempt n+1 after attempt n failed: base, 2 base, 4 base, ... */
export function retryDelay(baseMs: number, attempt: number): number {
  return baseMs * 2 ** Math.max(0, attempt - 1);
}

/** A 4xx other than 408/429 will not change by retrying. */
export function isPermanent(httpStatus: number | null): boolean {
  return httpStatus !== null && httpStatus >= 400 && httpStatus < 500 && httpStatus !== 408 && httpStatus !== 429;
}

/** What the worker knows of a claimed job just before sending it. */
export interface JobCheck {
  kind: 'message' | 'recall';
  /** null for a message that is not stored (a command with pushContent): nothing to read or recall. */
  seq: number | null;
  devicePresent: boolean;
  recalled: boolean;
  readSeq: number;
  /** For a recall: how the push of the message itself stands on this device (null if there was none). */
  originalStatus: string | null;
  online: boolean;
}

/**
 * Checked again just before sending: a message read or recalled meanwhile is not pushed, nor
 * anything to a removed device or a user now on a live stream. A recall reaches whoever could see
 * the message, pushed it or not, but waits while that device's push of the message is in flight
 * so it never arrives first.
 */
export function recheck(j: JobCheck): { skip: string } | 'postpone' | 'send' {
  if (!j.devicePresent) return { skip: 'device_removed' };
  if (j.kind === 'message') {
    if (j.recalled) return { skip: 'recalled' };
    if (j.seq !== null && j.readSeq >= j.seq) return { skip: 'read' };
  } else if (j.originalStatus === 'pending' || j.originalStatus === 'sending') {
    return 'postpone';
  }
  if (j.online) return { skip: 'online' };
  return 'send';
}
