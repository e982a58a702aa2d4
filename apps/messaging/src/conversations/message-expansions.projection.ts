import { defineProjection } from '@im/eventstore';
import { sql } from 'kysely';

/**
 * The expansion shown with each message in history. The expansions service owns expansions and
 * publishes every change (the initial one too) as ordered deltas; this applies them, forward only,
 * keyed by messageUId so it does not matter whether the message itself was projected yet.
 */
export const messageExpansionsProjection = defineProjection({
  name: 'message_expansions',
  sources: ['expansions'],
  tables: ['message_expansions'],
  handles: ['expansion.updated'],
  async apply(trx, event) {
    const e = event.data;
    await sql`
      INSERT INTO message_expansions AS x (message_uid, expansion, version)
      VALUES (${e.messageUId}, ${JSON.stringify(e.updated)}::jsonb - ${e.removed}::text[], ${e.version})
      ON CONFLICT (message_uid) DO UPDATE SET
        expansion = (CASE WHEN ${e.cleared}::boolean THEN '{}'::jsonb ELSE x.expansion END || ${JSON.stringify(e.updated)}::jsonb) - ${e.removed}::text[],
        version = excluded.version
      WHERE excluded.version > x.version`.execute(trx);
  },
});
