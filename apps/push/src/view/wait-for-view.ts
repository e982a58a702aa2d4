import { ApplyMeta } from '@im/eventstore';
import { Kysely, sql } from 'kysely';
import { PUSH_VIEW } from './push-view.projection';

const POLL_MS = 10;
const MAX_WAIT_MS = 5_000;

/**
 * A reaction on messaging's stream reads the view (members, names) that another consumer of the
 * same stream builds. Before acting on the event at sequence n it waits until the view has
 * applied everything before n, so a message sent right after a join reaches the new member.
 *
 * It waits only while its transaction has written nothing: a write transaction left open holds
 * back every outbox relay (they publish only what is older than the oldest one). Then, and after
 * the longest wait, it throws, and the consumer retries the batch a little later.
 */
export async function waitForView(db: Kysely<any>, meta: ApplyMeta): Promise<void> {
  const deadline = Date.now() + MAX_WAIT_MS;
  for (;;) {
    const { rows } = await sql<{ reached: boolean; writing: boolean }>`
      SELECT coalesce((SELECT stream_sequence >= ${meta.streamSequence - 1} FROM projection_checkpoints
                        WHERE projection = ${PUSH_VIEW} AND stream = ${meta.stream}), false) AS reached,
             pg_current_xact_id_if_assigned() IS NOT NULL AS writing`.execute(db);
    if (rows[0].reached) return;
    if (rows[0].writing || Date.now() > deadline) throw new Error(`${PUSH_VIEW} has not reached ${meta.stream} #${meta.streamSequence - 1} yet`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
