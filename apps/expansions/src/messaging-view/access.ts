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
  return (await whoCanSee(db, ref, [userId])).has(userId);
}

/** `canSee` for many users at once, in one statement at most: those of `userIds` who may see it. */
export async function whoCanSee(db: Kysely<DB>, ref: ConversationRef, userIds: string[]): Promise<Set<string>> {
  const key = membershipKeyOf(ref);
  const asked = key === null ? [] : [...new Set(userIds.filter((u) => mayBeShown(ref, u)))];
  if (asked.length === 0) return visibleAmong(ref, userIds, new Set());
  const rows = await db
    .selectFrom('group_members')
    .select('user_id')
    .where('group_id', '=', key)
    .where((eb) => eb('user_id', '=', eb.fn<string>('any', [eb.val(asked)])))
    .execute();
  return visibleAmong(ref, userIds, new Set(rows.map((r) => r.user_id)));
}

/** Whose membership decides who sees the conversation: its group's key, or null when its two users do. */
export function membershipKeyOf(ref: Pick<ConversationRef, 'conversationType' | 'targetId'>): string | null {
  if (ref.conversationType === ConversationType.PRIVATE || ref.conversationType === ConversationType.SYSTEM) return null;
  return ref.conversationType === ConversationType.ULTRA_GROUP ? ultraGroupMembershipKey(ref.targetId) : ref.targetId;
}

/** `canSee` for each of `userIds`, given which of them are current members under `membershipKeyOf(ref)`. */
export function visibleAmong(ref: ConversationRef, userIds: string[], members: ReadonlySet<string>): Set<string> {
  if (membershipKeyOf(ref) === null) return new Set(userIds.filter((u) => u === ref.senderId || u === ref.targetId));
  return new Set(userIds.filter((u) => mayBeShown(ref, u) && members.has(u)));
}

/** A directed message is shown to its sender and its recipients only. */
function mayBeShown(ref: ConversationRef, userId: string): boolean {
  return !ref.directedUserIds || userId === ref.senderId || ref.directedUserIds.includes(userId);
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
