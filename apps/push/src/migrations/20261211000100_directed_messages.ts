import { Kysely, Migration, sql } from 'kysely';

/**
 * Push stops copying every stored message. What it read the copy for: a recall meanwhile, now
 * marked on the message's own jobs (`push_jobs.recalled`, set when the recall is planned), and
 * the recipients of a receipt request, which its event names but for a direction: the copy keeps
 * directed messages only (`directed_messages`). The planner's lookup of devices by time reads
 * `devices_registered_at` (device-directory.ts).
 */
export const directedMessages: Migration = {
  async up(db: Kysely<any>) {
    await sql`ALTER TABLE push_jobs ADD COLUMN recalled boolean NOT NULL DEFAULT false`.execute(db);
    await sql`
      UPDATE push_jobs j SET recalled = true FROM message_refs r
       WHERE r.recalled AND r.message_uid = j.message_uid AND j.kind = 'message'`.execute(db);
    await sql`DELETE FROM message_refs WHERE directed_user_ids IS NULL`.execute(db);
    await sql`ALTER TABLE message_refs DROP COLUMN recalled, DROP COLUMN seq`.execute(db);
    await sql`ALTER TABLE message_refs ALTER COLUMN directed_user_ids SET NOT NULL`.execute(db);
    await sql`ALTER TABLE message_refs RENAME TO directed_messages`.execute(db);
    await sql`CREATE INDEX devices_registered_at ON devices (registered_at)`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP INDEX devices_registered_at`.execute(db);
    await sql`ALTER TABLE directed_messages RENAME TO message_refs`.execute(db);
    await sql`ALTER TABLE message_refs ALTER COLUMN directed_user_ids DROP NOT NULL`.execute(db);
    await sql`ALTER TABLE message_refs ADD COLUMN seq bigint NOT NULL DEFAULT 0, ADD COLUMN recalled boolean NOT NULL DEFAULT false`.execute(db);
    await sql`ALTER TABLE push_jobs DROP COLUMN recalled`.execute(db);
  },
};
