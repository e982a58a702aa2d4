import { ServiceName, Subjects } from '@im/contracts';
import { JetStreamManager } from '@nats-io/jetstream';
import { Kysely, sql } from 'kysely';
import { Projection } from './projection';

/**
 * Drops a projection and lets it be rebuilt from the event log. Tables and checkpoints go first:
 * a batch still in flight either finishes before the TRUNCATE (and is wiped) or finds no
 * checkpoint and waits. Then the durable consumers are deleted, and a running service
 * re-creates them from the first event (a stopped one does so when it starts).
 */
export async function rebuildProjection(opts: {
  db: Kysely<any>;
  jsm: JetStreamManager;
  subjects: Subjects;
  owner: ServiceName;
  projection: Projection;
}): Promise<void> {
  const { db, jsm, subjects, owner, projection } = opts;
  await db.transaction().execute(async (trx) => {
    await sql`DELETE FROM projection_checkpoints WHERE projection = ${projection.name}`.execute(trx);
    // The replay parks the same poison again; recorded gaps were about the checkpoint just deleted.
    await sql`DELETE FROM parked_events WHERE projection = ${projection.name}`.execute(trx);
    if (projection.tables.length > 0) await sql.raw(`TRUNCATE ${projection.tables.join(', ')}`).execute(trx);
  });
  for (const source of projection.sources) {
    await jsm.consumers.delete(subjects.stream(source), subjects.durable(owner, projection.name)).catch(() => false);
  }
}
