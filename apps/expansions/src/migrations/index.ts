import { Migration } from 'kysely';
import { messageRefs } from './20261122000100_message_refs';
import { expansionsAndRedPackets } from './20261122000200_expansions_and_red_packets';
import { messageRefObjectName } from './20261122000300_message_ref_object_name';

export const migrations: Record<string, Migration> = {
  '20261122000100_message_refs': messageRefs,
  '20261122000200_expansions_and_red_packets': expansionsAndRedPackets,
  '20261122000300_message_ref_object_name': messageRefObjectName,
};
