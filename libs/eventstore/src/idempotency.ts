import { Kysely, Transaction } from 'kysely';

class AlreadyUsed extends Error {}

/**
 * Runs a command once per (scope, key). The key row is inserted in the command's own
 * transaction, so a failed attempt leaves no trace and a concurrent duplicate waits on the
 * unique index, then returns the first attempt's stored result instead of running again.
 */
export async function runOnce<T>(
  db: Kysely<any>,
  scope: string,
  key: string | undefined,
  work: (trx: Transaction<any>) => Promise<T>,
): Promise<T> {
  if (!key) return db.transaction().execute(work);
  const stored = await storedResult<T>(db, scope, key);
  if (stored !== undefined) return stored;
  try {
    return await db.transaction().execute(async (trx) => {
      const claimed = await trx
        .insertInto('idempotency_keys')
        .values({ scope, key })
        .onConflict((oc) => oc.doNothing())
        .returning('key')
        .executeTakeFirst();
      if (!claimed) throw new AlreadyUsed();
      const result = await work(trx);
      await trx
        .updateTable('idempotency_keys')
        .set({ response: JSON.stringify(result) })
        .where('scope', '=', scope)
        .where('key', '=', key)
        .execute();
      return result;
    });
  } catch (e) {
    if (!(e instanceof AlreadyUsed)) throw e;
    return (await storedResult<T>(db, scope, key)) as T;
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
