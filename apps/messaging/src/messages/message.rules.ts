import {
  Actor,
  AppError,
  assertKeysPerCall,
  ConversationType,
  Errors,
  issuesOf,
  expansionBytes,
  MAX_CONTENT_BYTES,
  MAX_EXPANSION_BYTES,
  MAX_KEYS_PER_MESSAGE,
  MentionedInfo,
  MessageTypeDefinition,
  RED_PACKET_KEYS,
  RED_PACKET_TYPE,
  SUPPORTED_CONVERSATION_TYPES,
} from '@im/contracts';

/**
 * Pure rules of accepting a send: no I/O, so each is unit-tested on its own. What an accepted
 * message then becomes (its event, a recall, its stream) is message.decider.ts.
 */

export { actingUser } from '@im/contracts';

export function assertSupportedConversation(type: number): void {
  if (!SUPPORTED_CONVERSATION_TYPES.includes(type)) {
    throw Errors.unprocessable('CONVERSATION_TYPE_NOT_SUPPORTED', `conversation type ${type} is not supported yet`);
  }
}

/** A system conversation is written by the app backend only; users can read it, not reply. */
export function assertMaySend(actor: Actor, type: number, senderId: string, targetId: string): void {
  if (type === ConversationType.SYSTEM && !actor.isServer) {
    throw Errors.forbidden('system conversations are read-only for users');
  }
  if (type === ConversationType.PRIVATE && senderId === targetId) {
    throw Errors.unprocessable('CANNOT_MESSAGE_SELF', 'a private conversation needs two different users');
  }
}

/** Size first (a 413 names the field), then the type's own schema (a 400 names each field). */
export function validateContent(def: MessageTypeDefinition, content: Record<string, unknown>): Record<string, unknown> {
  const bytes = Buffer.byteLength(JSON.stringify(content), 'utf8');
  if (bytes > MAX_CONTENT_BYTES) throw Errors.tooLarge('content', MAX_CONTENT_BYTES);
  const parsed = def.content.safeParse(content);
  if (parsed.success) return parsed.data;
  const issues = issuesOf(parsed.error).map((i) => ({ ...i, path: `content.${i.path}` }));
  throw Errors.validation(issues, `Invalid content for ${def.objectName}: ${issues.map((i) => i.path).join(', ')}`);
}

export interface Mention {
  type: 1 | 2;
  userIds: string[];
}

/**
 * The mention a message carries, only in groups. As in the seeds: a server-key send is a mention
 * only with `isMentioned: true` (else `mentionedInfo` is ignored, kept in the content as sent); a
 * user-token send is one when it carries `mentionedInfo`, unless `isMentioned: false`. Type 2
 * keeps the listed ids; the caller narrows them to members.
 */
export function mentionOf(
  type: number,
  content: Record<string, unknown>,
  isMentioned: boolean | undefined,
  isServer: boolean,
): Mention | null {
  const info = content.mentionedInfo as MentionedInfo | undefined;
  const marked = isServer ? isMentioned === true : isMentioned !== false;
  if (!info || !marked) return null;
  if (type !== ConversationType.GROUP && type !== ConversationType.ULTRA_GROUP) {
    throw Errors.validation(
      [{ path: 'content.mentionedInfo', message: 'mentions are only allowed in groups' }],
      'mentions are only allowed in groups',
    );
  }
  return info.type === 1 ? { type: 1, userIds: [] } : { type: 2, userIds: [...new Set(info.userIdList ?? [])] };
}

export function unknownMessageType(objectName: string): AppError {
  return new AppError('UNKNOWN_MESSAGE_TYPE', `${objectName} is not a registered message type`, [
    { path: 'objectName', message: 'not a registered message type' },
  ]);
}

/** Receipt signals come from the receipts endpoints, never from a plain send. */
export function assertSendable(def: MessageTypeDefinition): void {
  if (def.producedBy) {
    throw Errors.unprocessable('USE_DEDICATED_ENDPOINT', `${def.objectName} is produced by ${def.producedBy}`, {
      endpoint: def.producedBy,
    });
  }
}

/**
 * Directed messages exist in groups and private conversations (where naming only yourself makes
 * a note that only you see, such as a grey-bar notice). Ids are deduplicated and the sender,
 * who always sees their own message, is dropped; membership is checked by the caller.
 */
export function directedRecipients(type: number, senderId: string, ids: string[] | undefined): string[] | undefined {
  if (!ids) return undefined;
  if (type !== ConversationType.GROUP && type !== ConversationType.PRIVATE) {
    throw Errors.validation(
      [{ path: 'directedUserIds', message: 'directed messages are for groups and private conversations' }],
      'directed messages are for groups and private conversations',
    );
  }
  return [...new Set(ids)].filter((id) => id !== senderId);
}

/**
 * A red packet's keys on an `app:red_packet` message are the packet's state: only the red packet
 * flow (the expansions service, `sentFor: 'red-packet'`) writes them, never a sender, or anyone
 * could post a packet that shows itself claimed, or open, for everyone.
 */
export function assertNoPacketKeys(
  objectName: string,
  expansion: Record<string, string> | undefined,
  sentFor: 'red-packet' | undefined,
): void {
  if (objectName !== RED_PACKET_TYPE || sentFor === 'red-packet' || !expansion) return;
  const taken = Object.keys(expansion).filter((k) => RED_PACKET_KEYS.includes(k));
  if (taken.length > 0) throw Errors.reservedExpansionKey(taken, 'red packet');
}

/**
 * An initial expansion needs an extensible message and stays within the limits of a PATCH: keys
 * per call (20 with a user token, 100 with the server key), keys per message, total size.
 */
export function initialExpansion(
  canIncludeExpansion: boolean | undefined,
  expansion: Record<string, string> | undefined,
  isServer: boolean,
): Record<string, string> | undefined {
  if (!expansion) return undefined;
  if (!canIncludeExpansion) {
    throw Errors.unprocessable('EXPANSION_NOT_ALLOWED', 'an expansion needs canIncludeExpansion: true');
  }
  assertKeysPerCall(Object.keys(expansion).length, isServer);
  if (Object.keys(expansion).length > MAX_KEYS_PER_MESSAGE) {
    throw Errors.unprocessable('EXPANSION_KEY_LIMIT', `a message carries at most ${MAX_KEYS_PER_MESSAGE} expansion keys`);
  }
  if (expansionBytes(Object.entries(expansion)) > MAX_EXPANSION_BYTES) throw Errors.tooLarge('expansion', MAX_EXPANSION_BYTES);
  return expansion;
}
