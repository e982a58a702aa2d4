import { Kysely, Migration, sql } from 'kysely';

/**
 * The event store's tables, created in each service's own schema by its first migration.
 *
 * `transaction_id` records the writing transaction (xid8) so the relay can read only what is
 * visible to every snapshot: a bigserial alone lets a reader skip an event whose transaction
 * took its position early but committed late.
 */
export function eventStoreMigration(notifyChannel: string): Migration {
  return {
    async up(db: Kysely<any>) {
      await sql`
        CREATE TABLE events (
          global_position bigserial PRIMARY KEY,
          transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
          event_id uuid NOT NULL UNIQUE,
          stream_id text NOT NULL,
          stream_version integer NOT NULL CHECK (stream_version > 0),
          type text NOT NULL,
          data_version integer NOT NULL,
          data jsonb NOT NULL,
          metadata jsonb NOT NULL DEFAULT '{}',
          occurred_at timestamptz NOT NULL,
          CONSTRAINT events_stream_version_unique UNIQUE (stream_id, stream_version)
        )`.execute(db);
      await sql`CREATE INDEX events_relay_order ON events (transaction_id, global_position)`.execute(db);
      await sql`
        CREATE TABLE relay_checkpoint (
          id integer PRIMARY KEY CHECK (id = 1),
          transaction_id xid8 NOT NULL,
          global_position bigint NOT NULL
        )`.execute(db);
      await sql`INSERT INTO relay_checkpoint VALUES (1, '0'::xid8, 0)`.execute(db);
      await sql`
        CREATE TABLE projection_checkpoints (
          projection text NOT NULL,
          stream text NOT NULL,
          stream_sequence bigint NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (projection, stream)
        )`.execute(db);
      await sql`
        CREATE TABLE idempotency_keys (
          scope text NOT NULL,
          key text NOT NULL,
          response jsonb,
          created_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (scope, key)
        )`.execute(db);
      // One notification per committing transaction wakes the relay; NOTIFY is delivered at commit.
      await sql.raw(`
        CREATE FUNCTION notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('${notifyChannel}', ''); RETURN NULL; END $$`).execute(db);
      await sql`CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION notify_events()`.execute(db);
    },
    async down(db: Kysely<any>) {
      await sql`DROP TABLE IF EXISTS events, relay_checkpoint, projection_checkpoints, idempotency_keys`.execute(db);
      await sql`DROP FUNCTION IF EXISTS notify_events()`.execute(db);
    },
  };
}

/**
 * The second event-store migration: `parked_events` (what a projection consumer stepped over;
 * see parked.ts) and the identity of the stream a checkpoint counts in. A sequence means
 * nothing without its stream: a stream deleted and created again starts at 1, and a checkpoint
 * left at 5,000 would skip its first 5,000 events in silence. `stream_created` (the stream's
 * creation time as NATS reports it) tells the consumer it is looking at another stream.
 */
export function parkedEventsMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await sql`
        CREATE TABLE parked_events (
          id bigserial PRIMARY KEY,
          kind text NOT NULL CHECK (kind IN ('poison', 'gap')),
          projection text NOT NULL,
          stream text NOT NULL,
          stream_sequence bigint NOT NULL,
          last_sequence bigint,
          event_id text,
          event_type text,
          subject text,
          payload bytea,
          error text NOT NULL,
          attempts integer NOT NULL DEFAULT 1,
          parked_at timestamptz NOT NULL DEFAULT now(),
          retry_requested_at timestamptz
        )`.execute(db);
      await sql`CREATE INDEX parked_events_place ON parked_events (projection, stream, id)`.execute(db);
      await sql`ALTER TABLE projection_checkpoints ADD COLUMN stream_created text`.execute(db);
    },
    async down(db: Kysely<any>) {
      await sql`DROP TABLE IF EXISTS parked_events`.execute(db);
      await sql`ALTER TABLE projection_checkpoints DROP COLUMN IF EXISTS stream_created`.execute(db);
    },
  };
}
