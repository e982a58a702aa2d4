import { Migration } from 'kysely';
import { writeSide } from './20261122000100_write_side';
import { conversationsProjection } from './20261122000200_conversations_projection';
import { messageLifecycle } from './20261122000300_message_lifecycle';
import { messageExpansions } from './20261122000400_message_expansions';
import { readPositions } from './20261122000500_read_positions';
import { chatrooms } from './20261204000200_chatrooms';
import { beforeSendCallback } from './20261210000100_before_send_callback';
import { ultraGroups } from './20261210000200_ultra_groups';

export const migrations: Record<string, Migration> = {
  '20261122000100_write_side': writeSide,
  '20261122000200_conversations_projection': conversationsProjection,
  '20261122000300_message_lifecycle': messageLifecycle,
  '20261122000400_message_expansions': messageExpansions,
  '20261122000500_read_positions': readPositions,
  '20261204000200_chatrooms': chatrooms,
  '20261210000100_before_send_callback': beforeSendCallback,
  '20261210000200_ultra_groups': ultraGroups,
};
