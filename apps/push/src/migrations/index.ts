import { Migration } from 'kysely';
import { pushCandidates } from './20261122000100_push_candidates';

export const migrations: Record<string, Migration> = {
  '20261122000100_push_candidates': pushCandidates,
};
