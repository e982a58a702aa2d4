import { Kysely, Migration, sql } from 'kysely';

/**
 * What expansions needs to know of conversations (refs, group members, names), the expansion
 * keys themselves, and red packets. Money invariants are held by the table as well as the code.
 */
export const expansionsAndRedPackets: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      ALTER TABLE message_refs
        ADD COLUMN target_id text NOT NULL DEFAULT '',
        ADD COLUMN directed_user_ids text[],
        ADD COLUMN recalled boolean NOT NULL DEFAULT false`.execute(db);
    await sql`CREATE TABLE group_members (group_id text NOT NULL, user_id text NOT NULL, PRIMARY KEY (group_id, user_id))`.execute(db);
    await sql`CREATE TABLE profiles (user_id text PRIMARY KEY, name text NOT NULL)`.execute(db);
    // One row per message with an expansion: locked by every change, so changes are serial.
    await sql`
      CREATE TABLE expansion_heads (
        message_uid text PRIMARY KEY,
        version bigint NOT NULL,
        key_count integer NOT NULL CHECK (key_count BETWEEN 0 AND 300)
      )`.execute(db);
    await sql`
      CREATE TABLE expansion_keys (
        message_uid text NOT NULL,
        key text NOT NULL,
        value text NOT NULL CHECK (length(value) <= 4096),
        version integer NOT NULL,
        updated_at bigint NOT NULL,
        PRIMARY KEY (message_uid, key)
      )`.execute(db);
    await sql`
      CREATE TABLE red_packets (
        red_packet_id text PRIMARY KEY,
        payment_key text UNIQUE,
        sender_id text NOT NULL,
        conversation_id text NOT NULL,
        conversation_type smallint NOT NULL,
        target_id text NOT NULL,
        mode text NOT NULL CHECK (mode IN ('random', 'fixed')),
        currency text NOT NULL,
        total_amount bigint NOT NULL CHECK (total_amount > 0),
        count integer NOT NULL CHECK (count > 0),
        remaining_amount bigint NOT NULL CHECK (remaining_amount >= 0),
        remaining_count integer NOT NULL CHECK (remaining_count >= 0),
        refunded_amount bigint NOT NULL DEFAULT 0,
        greeting text,
        receiver_ids text[],
        status text NOT NULL CHECK (status IN ('unclaimed', 'partial', 'claimed', 'expired')),
        expires_at bigint NOT NULL,
        created_at bigint NOT NULL,
        message_uid text,
        version integer NOT NULL,
        CHECK (remaining_amount >= remaining_count),
        CHECK (remaining_amount <= total_amount)
      )`.execute(db);
    await sql`CREATE INDEX red_packets_due ON red_packets (expires_at) WHERE status IN ('unclaimed', 'partial')`.execute(db);
    // Each user claims a packet at most once: the primary key says so, not only the code.
    await sql`
      CREATE TABLE red_packet_claims (
        red_packet_id text NOT NULL REFERENCES red_packets,
        user_id text NOT NULL,
        amount bigint NOT NULL CHECK (amount > 0),
        claimed_at bigint NOT NULL,
        PRIMARY KEY (red_packet_id, user_id)
      )`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TABLE red_packet_claims, red_packets, expansion_keys, expansion_heads, profiles, group_members`.execute(db);
    await sql`ALTER TABLE message_refs DROP COLUMN target_id, DROP COLUMN directed_user_ids, DROP COLUMN recalled`.execute(db);
  },
};
