import { BUILT_IN_MESSAGE_TYPES, ConversationType, EventData, MentionedInfo } from '@im/contracts';

/** The push rules of a message, pure: who may be pushed, with which title and text. */
type Sent = EventData<'message.sent'>;

export const RECALL_TEXT = BUILT_IN_MESSAGE_TYPES.get('RC:RcCmd')!.pushText({}) ?? 'recalled a message';

/**
 * The type's default text: the catalogue's for a built-in, the registered `pushContent` for a
 * custom type (`customPushContent`, null when it has none or is unknown).
 */
export function defaultText(m: Pick<Sent, 'objectName' | 'content'>, customPushContent: string | null): string | null {
  const builtIn = BUILT_IN_MESSAGE_TYPES.get(m.objectName);
  return builtIn ? builtIn.pushText(m.content) : customPushContent;
}

/** Stored, not status, not opted out: only then is anyone pushed. */
export function mayPush(m: Pick<Sent, 'isPersisted' | 'isStatus' | 'disablePush' | 'seq'>): boolean {
  return m.isPersisted && !m.isStatus && !m.disablePush && m.seq !== null;
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

/** `mentionedContent` for the mentioned, else `pushContent`, else the type's default; null = no push. */
export function pushText(m: Pick<Sent, 'pushContent' | 'content'>, typeText: string | null, mentioned: boolean): string | null {
  const mentionedContent = mentioned ? (m.content.mentionedInfo as MentionedInfo | undefined)?.mentionedContent : undefined;
  const text = mentionedContent || m.pushContent || typeText;
  return text ? text : null;
}

/** Group texts name their sender. */
export function withSender(conversationType: number, senderName: string, text: string): string {
  return conversationType === ConversationType.GROUP ? `${senderName}: ${text}` : text;
}

/** `pushTitle` if given; else the group's name, or the sender's (private, system); `disablePushTitle` drops it. */
export function pushTitle(m: Pick<Sent, 'conversationType' | 'pushTitle' | 'disablePushTitle'>, names: { sender: string; group: string }): string | null {
  if (m.disablePushTitle) return null;
  if (m.pushTitle) return m.pushTitle;
  return m.conversationType === ConversationType.GROUP ? names.group : names.sender;
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
  seq: number;
  devicePresent: boolean;
  recalled: boolean;
  readSeq: number;
  /** For a recall: how the push of the message itself ended (or null if there was none). */
  originalStatus: string | null;
  online: boolean;
}

/**
 * Checked again just before sending: a message read or recalled meanwhile is not pushed, nor
 * anything to a removed device or a user now on a live stream. A recall waits for the push it
 * takes back to finish, and is dropped if that push never went out.
 */
export function recheck(j: JobCheck): { skip: string } | 'postpone' | 'send' {
  if (!j.devicePresent) return { skip: 'device_removed' };
  if (j.kind === 'message') {
    if (j.recalled) return { skip: 'recalled' };
    if (j.readSeq >= j.seq) return { skip: 'read' };
  } else {
    if (j.originalStatus === 'pending' || j.originalStatus === 'sending') return 'postpone';
    if (j.originalStatus !== 'sent') return { skip: 'original_not_pushed' };
  }
  if (j.online) return { skip: 'online' };
  return 'send';
}
