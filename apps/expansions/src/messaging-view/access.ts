import { Actor, ConversationType, Errors, ultraGroupMembershipKey } from '@im/contracts';
import { Kysely } from 'kysely';
import type { DB } from '../db.generated';

/** The parts of a conversation that decide who may see a message or a red packet in it. */
export interface ConversationRef {
  conversationType: number;
  conversationId: string;
  senderId: string;
  targetId: string;
  directedUserIds: string[] | null;
}

/**
 * May this user see what happens in the conversation? Private: its two users; system: the
 * account and the user; group: current members (and for a directed message, its recipients);
 * ultra group: its current members (kept under their membership key, see messaging-directory.ts).
 */
export async function canSee(db: Kysely<DB>, ref: ConversationRef, userId: string): Promise<boolean> {
  if (ref.conversationType === ConversationType.PRIVATE || ref.conversationType === ConversationType.SYSTEM) {
    return userId === ref.senderId || userId === ref.targetId;
  }
  if (ref.directedUserIds && userId !== ref.senderId && !ref.directedUserIds.includes(userId)) return false;
  if (ref.conversationType === ConversationType.ULTRA_GROUP) return isGroupMember(db, ultraGroupMembershipKey(ref.targetId), userId);
  return isGroupMember(db, ref.targetId, userId);
}

export async function isGroupMember(db: Kysely<DB>, groupId: string, userId: string): Promise<boolean> {
  const row = await db.selectFrom('group_members').select('user_id').where('group_id', '=', groupId).where('user_id', '=', userId).executeTakeFirst();
  return row !== undefined;
}

/** The server key may act on any conversation; a user (or the key acting as one) only on theirs. */
export async function assertCanSee(db: Kysely<DB>, ref: ConversationRef, actor: Actor, what: string): Promise<void> {
  if (actor.isServer) return;
  if (actor.userId && (await canSee(db, ref, actor.userId))) return;
  throw Errors.notFound(what);
}
