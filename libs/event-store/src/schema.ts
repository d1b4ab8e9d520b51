// The one schema both adapters run (PostgreSQL 13+ server and PGlite). Every statement is idempotent;
// the migration runs in one transaction under an advisory lock, so concurrent openers do not race.

/**
 * Channel notified after every committed append. The append sends it after COMMIT, not from a trigger:
 * a transaction that notifies holds a database-wide lock through its commit, which would serialise
 * every writer's WAL flush.
 */
export const EVENTS_CHANNEL = 'forge_events';

const MIGRATION_LOCK = 7305_2026;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS events (
  position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
  stream_id       text NOT NULL,
  stream_version  integer NOT NULL CHECK (stream_version >= 1),
  event_id        uuid NOT NULL UNIQUE,
  type            text NOT NULL,
  data            jsonb NOT NULL,
  metadata        jsonb NOT NULL,
  prev_hash       text NOT NULL,
  hash            text NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT events_stream_version_unique UNIQUE (stream_id, stream_version)
);
-- Catch-up readers: WHERE (transaction_id, position) > checkpoint AND transaction_id < snapshot xmin ORDER BY 1, 2.
CREATE INDEX IF NOT EXISTS events_transaction_position ON events (transaction_id, position);

CREATE TABLE IF NOT EXISTS streams (
  stream_id  text PRIMARY KEY,
  version    integer NOT NULL,
  last_hash  text NOT NULL
);

CREATE TABLE IF NOT EXISTS subscription_checkpoints (
  name            text PRIMARY KEY,
  transaction_id  xid8 NOT NULL,
  position        bigint NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- A seal covers every event whose transaction id is below up_to_transaction_id (all finished when sealed,
-- so the covered set never changes) and chains to the previous seal.
CREATE TABLE IF NOT EXISTS seals (
  id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  up_to_transaction_id  xid8 NOT NULL,
  up_to_position        bigint NOT NULL,
  stream_count          integer NOT NULL,
  prev_hash             text NOT NULL,
  hash                  text NOT NULL,
  sealed_at             timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION forge_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION '% on % is refused: the record is append-only', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$fn$;

-- The append itself, one statement: move the stream head from the version and hash the writer computed
-- its chain on (refused with FS001 if another writer moved it first), then insert the batch (refused with
-- FS002 if any event id is stored already). Any refusal aborts the whole statement, so nothing is half done.
CREATE OR REPLACE FUNCTION forge_append(p_stream text, p_from_version integer, p_from_hash text, p_batch jsonb)
RETURNS bigint[] LANGUAGE plpgsql AS $fn$
DECLARE
  n integer := jsonb_array_length(p_batch);
  last_event jsonb := p_batch -> (jsonb_array_length(p_batch) - 1);
  positions bigint[];
BEGIN
  IF p_from_version = 0 THEN
    INSERT INTO streams (stream_id, version, last_hash)
      VALUES (p_stream, (last_event->>'v')::integer, last_event->>'hash')
      ON CONFLICT (stream_id) DO NOTHING;
  ELSE
    UPDATE streams SET version = (last_event->>'v')::integer, last_hash = last_event->>'hash'
      WHERE stream_id = p_stream AND version = p_from_version AND last_hash = p_from_hash;
  END IF;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'stream % is no longer at version %', p_stream, p_from_version USING ERRCODE = 'FS001';
  END IF;
  WITH ins AS (
    INSERT INTO events (stream_id, stream_version, event_id, type, data, metadata, prev_hash, hash)
    SELECT p_stream, (e->>'v')::integer, (e->>'id')::uuid, e->>'type', e->'data', e->'metadata', e->>'prev', e->>'hash'
    FROM jsonb_array_elements(p_batch) WITH ORDINALITY AS x(e, ord) ORDER BY ord
    ON CONFLICT (event_id) DO NOTHING
    RETURNING position, stream_version
  )
  SELECT array_agg(position ORDER BY stream_version) INTO positions FROM ins;
  IF coalesce(cardinality(positions), 0) <> n THEN
    RAISE EXCEPTION 'an event id of the batch for stream % is stored already', p_stream USING ERRCODE = 'FS002';
  END IF;
  RETURN positions;
END
$fn$;

-- Statement-level, so even an UPDATE or DELETE that matches no row is refused.
CREATE OR REPLACE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION forge_refuse_change();
CREATE OR REPLACE TRIGGER seals_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON seals
  FOR EACH STATEMENT EXECUTE FUNCTION forge_refuse_change();

REVOKE UPDATE, DELETE, TRUNCATE ON events, seals FROM PUBLIC;
`;

export const MIGRATION_SQL = `BEGIN;
SELECT pg_advisory_xact_lock(${MIGRATION_LOCK});
${SCHEMA_SQL}
COMMIT;`;
