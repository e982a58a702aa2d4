import { Kysely, Transaction } from 'kysely';

class AlreadyUsed extends Error {}

/**
 * Runs a command once per (scope, key). The key is claimed in the command's own transaction,
 * so a failed attempt leaves no trace, and a concurrent duplicate waits on the unique index,
 * then rolls back and returns the first attempt's stored result instead of its own.
 *
 * The key is claimed after the work, not before: a transaction gets its id (the relay's
 * publishing order) at its first write, and the work's first write must be its own ordering
 * lock (a conversation's, say), or the events of two racing commands could be published in
 * the opposite order to the one their lock gave them. A duplicate racing the first attempt
 * does the work for nothing, then; one arriving after it finds the stored result up front.
 */
export async function runOnce<T, D = any>(
  typed: Kysely<D>,
  scope: string,
  key: string | undefined,
  work: (trx: Transaction<D>) => Promise<T>,
): Promise<T> {
  // The keys table is the event store's, in every service's schema, not in the caller's DB type.
  const db = typed as unknown as Kysely<any>;
  if (!key) return typed.transaction().execute(work);
  const stored = await storedResult<T>(db, scope, key);
  if (stored !== undefined) return stored;
  try {
    return await db.transaction().execute(async (trx) => {
      const result = await work(trx as unknown as Transaction<D>);
      const claimed = await trx
        .insertInto('idempotency_keys')
        .values({ scope, key, response: JSON.stringify(result) })
        .onConflict((oc) => oc.doNothing())
        .returning('key')
        .executeTakeFirst();
      if (!claimed) throw new AlreadyUsed();
      return result;
    });
  } catch (e) {
    if (e instanceof AlreadyUsed) return (await storedResult<T>(db, scope, key)) as T;
    // A duplicate whose work failed because the first attempt committed meanwhile (a version
    // it expected moved on, say) is still answered with the first attempt's result.
    const first = await storedResult<T>(db, scope, key).catch(() => undefined);
    if (first !== undefined) return first;
    throw e;
  }
}

async function storedResult<T>(db: Kysely<any>, scope: string, key: string): Promise<T | undefined> {
  const row = await db
    .selectFrom('idempotency_keys')
    .select('response')
    .where('scope', '=', scope)
    .where('key', '=', key)
    .executeTakeFirst();
  return (row?.response ?? undefined) as T | undefined;
}
