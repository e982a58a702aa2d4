import { Migration } from 'kysely';
import { pushCandidates } from './20261122000100_push_candidates';
import { pushDelivery } from './20261122000200_push_delivery';
import { pushPayloads } from './20261204000100_push_payloads';
import { chatroomMembers } from './20261204000200_chatroom_members';
import { postSendCallbacks } from './20261210000100_post_send_callbacks';
import { directedMessages } from './20261211000100_directed_messages';

export const migrations: Record<string, Migration> = {
  '20261122000100_push_candidates': pushCandidates,
  '20261122000200_push_delivery': pushDelivery,
  '20261204000100_push_payloads': pushPayloads,
  '20261204000200_chatroom_members': chatroomMembers,
  '20261210000100_post_send_callbacks': postSendCallbacks,
  '20261211000100_directed_messages': directedMessages,
};
