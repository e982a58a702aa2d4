import { Kysely } from 'kysely';
import { missingUsers } from './users.service';
import type { DB } from '../db.generated';

/**
 * Which users exist, remembered: a user is never deleted, so once seen they exist for good and
 * the send path need not ask Postgres again (two of a private send's reads). Bounded: past
 * `capacity` ids the memory starts over, which costs a read, never a wrong answer.
 */
export class ExistingUsers {
  private known = new Set<string>();

  constructor(
    private readonly db: Kysely<DB>,
    private readonly capacity = 200_000,
  ) {}

  async missing(userIds: string[]): Promise<string[]> {
    const unknown = userIds.filter((id) => !this.known.has(id));
    if (unknown.length === 0) return [];
    const missing = await missingUsers(this.db, unknown);
    if (this.known.size + unknown.length > this.capacity) this.known = new Set();
    for (const id of unknown) if (!missing.includes(id)) this.known.add(id);
    return missing;
  }
}
