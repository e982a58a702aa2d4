import { Kysely, Migration, sql } from 'kysely';

/**
 * Issue 13's pushes: a command (not stored) with pushContent is pushed, so a job may have no seq;
 * a send's `pushData` rides along to the device; a stream still being written holds its push
 * (`follows_stream`: its body grows with each chunk until it goes out).
 */
export const pushPayloads: Migration = {
  async up(db: Kysely<any>) {
    await sql`ALTER TABLE push_jobs ALTER COLUMN seq DROP NOT NULL`.execute(db);
    await sql`ALTER TABLE push_jobs ADD COLUMN push_data text`.execute(db);
    await sql`ALTER TABLE push_jobs ADD COLUMN follows_stream boolean NOT NULL DEFAULT false`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`ALTER TABLE push_jobs DROP COLUMN follows_stream, DROP COLUMN push_data`.execute(db);
    await sql`DELETE FROM push_jobs WHERE seq IS NULL`.execute(db);
    await sql`ALTER TABLE push_jobs ALTER COLUMN seq SET NOT NULL`.execute(db);
  },
};
