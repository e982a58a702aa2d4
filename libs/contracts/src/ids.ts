import { z } from 'zod';

/** User, group and system-account ids: what RongCloud allows, at most 64 characters. */
export const EntityId = z
  .string()
  .regex(/^[A-Za-z0-9_=+\-.@]{1,64}$/, 'ids are 1-64 characters of A-Z a-z 0-9 _ = + - . @');

export const MessageUId = z.string().regex(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/, 'messageUId looks like BKCP-VBUT-0006-9GPP');

/** RongCloud numbering. */
export const ConversationType = { PRIVATE: 1, GROUP: 3, CHATROOM: 4, SYSTEM: 6, ULTRA_GROUP: 10 } as const;
export type ConversationTypeValue = (typeof ConversationType)[keyof typeof ConversationType];
export const SUPPORTED_CONVERSATION_TYPES: readonly number[] = [1, 3, 4, 6, 10];
export const ConversationTypeSchema = z.union([z.literal(1), z.literal(3), z.literal(4), z.literal(6), z.literal(10)], {
  error: 'conversationType is one of 1 (private), 3 (group), 4 (chatroom), 6 (system), 10 (ultra group)',
});

/**
 * An ultra group's channel: `""` is the default channel, which every ultra group has. The same
 * characters as ids (never a colon, so a conversation id splits unambiguously), at most 64.
 */
export const ChannelId = z.string().regex(/^[A-Za-z0-9_=+\-.@]{0,64}$/, 'channel ids are 0-64 characters of A-Z a-z 0-9 _ = + - . @');
export const DEFAULT_CHANNEL = '';

/**
 * The canonical id of a conversation, the same for every participant: a private conversation
 * is named by its two users in sorted order, a system one by the account and the user, an
 * ultra group's by the group and the channel (`10:<group>:<channel>`, `10:<group>:` for the default).
 */
export function conversationId(type: number, senderId: string, targetId: string, channelId = DEFAULT_CHANNEL): string {
  if (type === ConversationType.ULTRA_GROUP) return `10:${targetId}:${channelId}`;
  if (type === ConversationType.PRIVATE) {
    const [a, b] = senderId < targetId ? [senderId, targetId] : [targetId, senderId];
    return `1:${a}:${b}`;
  }
  if (type === ConversationType.SYSTEM) return `6:${senderId}:${targetId}`;
  return `${type}:${targetId}`;
}

/** The channel of an ultra group's conversation id (`10:<group>:<channel>`); undefined for other types. */
export function channelOf(conversationId: string): string | undefined {
  if (!conversationId.startsWith('10:')) return undefined;
  return conversationId.slice(conversationId.indexOf(':', 3) + 1);
}

/**
 * The key under which services' copies of membership (`group_members` of push and expansions,
 * see messaging-directory.ts) hold an ultra group: ids never contain a colon, so it never meets a group's.
 */
export function ultraGroupMembershipKey(ultraGroupId: string): string {
  return `10:${ultraGroupId}`;
}
