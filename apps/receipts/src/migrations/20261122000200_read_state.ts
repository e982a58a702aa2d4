import { Kysely, Migration, sql } from 'kysely';

/**
 * The write side of read state. A read position is one row per member per conversation; a
 * message's readers are the positions at or past its seq (one index range) plus its receipts
 * from members whose position has not reached it yet (the uncovered ones).
 */
export const readState: Migration = {
  async up(db: Kysely<any>) {
    // seq: how far the user has read (their own counts). rpos: how far that is reported to
    // others; it stands still while the user has receipts off. prev_*: the values before the
    // last move, so the one atomic upsert can return both.
    await sql`
      CREATE TABLE read_positions (
        conversation_id text NOT NULL,
        user_id text NOT NULL,
        seq bigint NOT NULL,
        prev_seq bigint NOT NULL DEFAULT 0,
        rpos bigint NOT NULL,
        prev_rpos bigint NOT NULL DEFAULT 0,
        read_at bigint NOT NULL,
        reported_at bigint,
        version integer NOT NULL DEFAULT 1,
        PRIMARY KEY (conversation_id, user_id)
      )`.execute(db);
    await sql`CREATE INDEX read_positions_by_rpos ON read_positions (conversation_id, rpos)`.execute(db);
    // Every receipt a reader sent (insert-only: it says when they read it).
    await sql`
      CREATE TABLE message_receipts (
        message_uid text NOT NULL,
        user_id text NOT NULL,
        conversation_id text NOT NULL,
        seq bigint NOT NULL,
        read_at bigint NOT NULL,
        PRIMARY KEY (message_uid, user_id)
      )`.execute(db);
    // The receipts that count on their own: sent while the reader's reported position was behind
    // the message. A position passing them deletes them, so this stays small, and the big table
    // above is never updated.
    await sql`
      CREATE TABLE uncovered_receipts (
        message_uid text NOT NULL,
        user_id text NOT NULL,
        conversation_id text NOT NULL,
        seq bigint NOT NULL,
        PRIMARY KEY (message_uid, user_id)
      )`.execute(db);
    await sql`CREATE INDEX uncovered_receipts_by_reader ON uncovered_receipts (conversation_id, user_id, seq)`.execute(db);
    await sql`
      CREATE TABLE receipt_requests (
        message_uid text PRIMARY KEY,
        requested_at bigint NOT NULL
      )`.execute(db);
    await sql`
      CREATE TABLE user_settings (
        user_id text PRIMARY KEY,
        read_receipts boolean NOT NULL,
        updated_at bigint NOT NULL
      )`.execute(db);
    // The flusher's work queue: which seq ranges of which conversations gained readers. Writers
    // only insert (readers of one hot message never contend on a row); the flusher reads it in
    // (transaction, id) order from a checkpoint, like the relay reads events, and deletes what it
    // has done, so it never walks over rows it already took.
    await sql`
      CREATE TABLE receipt_changes (
        id bigserial NOT NULL,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        conversation_id text NOT NULL,
        from_seq bigint NOT NULL,
        to_seq bigint NOT NULL,
        PRIMARY KEY (transaction_id, id)
      )`.execute(db);
    await sql`
      CREATE TABLE receipt_flush_checkpoint (
        id integer PRIMARY KEY CHECK (id = 1),
        transaction_id xid8 NOT NULL,
        change_id bigint NOT NULL
      )`.execute(db);
    await sql`INSERT INTO receipt_flush_checkpoint VALUES (1, '0'::xid8, 0)`.execute(db);
    // The counts last told to each sender: what GET /v1/receipts answers from.
    await sql`
      CREATE TABLE receipt_counts (
        message_uid text PRIMARY KEY,
        read_count integer NOT NULL,
        unread_count integer NOT NULL,
        peer_read_at bigint,
        updated_at bigint NOT NULL
      )`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TABLE receipt_counts, receipt_flush_checkpoint, receipt_changes, user_settings, receipt_requests, uncovered_receipts, message_receipts, read_positions`.execute(db);
  },
};
