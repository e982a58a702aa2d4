import { ApplyMeta, projectionProgress } from '@im/eventstore';
import { Kysely, sql } from 'kysely';
import { PUSH_VIEW } from './push-view.projection';

const POLL_MS = 10;
const MAX_WAIT_MS = 5_000;

/**
 * A reaction on messaging's stream reads the view (members, names) that another consumer of the
 * same stream builds. Before acting on the event at sequence n it waits until the view has
 * applied everything before n, so a message sent right after a join reaches the new member.
 *
 * After the longest wait it throws, and the consumer retries the batch a little later. (Waiting
 * inside a transaction holds back no one else: the relays publish in commit order.)
 */
export async function waitForView(db: Kysely<any>, meta: ApplyMeta): Promise<void> {
  const deadline = Date.now() + MAX_WAIT_MS;
  for (;;) {
    // Usually the view is fed by this process: its commit wakes us (progress.ts), no polling.
    if (await projectionProgress.waitFor(PUSH_VIEW, meta.stream, meta.streamSequence - 1, POLL_MS)) return;
    const { rows } = await sql<{ reached: boolean }>`
      SELECT coalesce((SELECT stream_sequence >= ${meta.streamSequence - 1} FROM projection_checkpoints
                        WHERE projection = ${PUSH_VIEW} AND stream = ${meta.stream}), false) AS reached`.execute(db);
    if (rows[0].reached) return;
    if (Date.now() > deadline) throw new Error(`${PUSH_VIEW} has not reached ${meta.stream} #${meta.streamSequence - 1} yet`);
  }
}
