import { Migration } from 'kysely';
import { messageRefs } from './20261122000100_message_refs';

export const migrations: Record<string, Migration> = {
  '20261122000100_message_refs': messageRefs,
};
