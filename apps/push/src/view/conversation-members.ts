import { ConversationType, ultraGroupMembershipKey } from '@im/contracts';
import { Kysely, sql } from 'kysely';
import type { DB } from '../db.generated';

/** What decides who is in a conversation: every message and red packet event carries these. */
export interface ConversationRef {
  conversationType: number;
  targetId: string;
  senderId: string;
  directedUserIds?: string[] | null;
}

/**
 * The members of a conversation as far as one message goes: private, its two users; system, the
 * user and the account; group, ultra group and chatroom, the current members. A directed message narrows that to the
 * sender and its recipients (who were members when it was sent).
 */
export async function membersOf(db: Kysely<DB>, ref: ConversationRef, amongOf?: () => string[] | undefined): Promise<string[]> {
  const directed = ref.directedUserIds ?? null;
  if (isGroupLike(ref.conversationType)) {
    if (directed) return unique([ref.senderId, ...directed]);
    // `among`: only these users matter to the caller (those online), so only they are looked up.
    // Asked for here only: a private conversation names its users.
    const among = amongOf?.();
    if (among && among.length === 0) return [];
    let q = db.selectFrom('group_members').select('user_id').where('group_id', '=', membershipKey(ref));
    if (among) q = q.where('user_id', '=', sql<string>`ANY(${among}::text[])`);
    const rows = await q.execute();
    return rows.map((r) => r.user_id);
  }
  if (ref.conversationType === ConversationType.CHATROOM) {
    const among = amongOf?.();
    if (among && among.length === 0) return [];
    let q = db.selectFrom('chatroom_members').select('user_id').where('chatroom_id', '=', ref.targetId);
    if (among) q = q.where('user_id', '=', sql<string>`ANY(${among}::text[])`);
    const rows = await q.execute();
    return rows.map((r) => r.user_id);
  }
  const both = unique([ref.senderId, ref.targetId]);
  return directed ? both.filter((u) => u === ref.senderId || directed.includes(u)) : both;
}

/** The conversation as `userId` addresses it: the other side in private and system, the group or chatroom otherwise. */
export function targetFor(ref: Pick<ConversationRef, 'conversationType' | 'targetId' | 'senderId'>, userId: string): string {
  if (isGroupLike(ref.conversationType) || ref.conversationType === ConversationType.CHATROOM) return ref.targetId;
  return userId === ref.senderId ? ref.targetId : ref.senderId;
}

export function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}

/** Groups and ultra groups: members from the membership copy, the group as the target. */
export function isGroupLike(conversationType: number): boolean {
  return conversationType === ConversationType.GROUP || conversationType === ConversationType.ULTRA_GROUP;
}

/** Where the push view keeps a group's or an ultra group's members and name (see messaging-directory.ts). */
export function membershipKey(ref: Pick<ConversationRef, 'conversationType' | 'targetId'>): string {
  return ref.conversationType === ConversationType.ULTRA_GROUP ? ultraGroupMembershipKey(ref.targetId) : ref.targetId;
}
