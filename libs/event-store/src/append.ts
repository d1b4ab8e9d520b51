import { canonicalJson } from './canonical';
import { EventIdReusedError, WrongExpectedVersionError } from './errors';
import { eventHash, GENESIS_HASH } from './hash';
import type { AppendResult, ExpectedVersion, NewEvent, SqlTransaction } from './port';
import { EVENT_COLUMNS, EventRow, toRecordedEvent } from './rows';
import { EVENTS_CHANNEL } from './schema';
import { SqlDatabase, sqlErrorCode, UNIQUE_VIOLATION } from './sql-database';
import { validateAppend } from './validate';

// One append = one transaction: lock (or create) the stream row, check the expected version, insert the
// batch with consecutive versions and chained hashes, move the stream head. Happy path: 2 statements.

/** Thrown inside the transaction to roll it back; handled by `appendEvents`. */
class Rollback {
  constructor(readonly reason: 'version' | 'ids_exist', readonly actual: number) {}
}

const INSERT_BATCH = (headSql: string) => `
WITH input AS (
  SELECT (e->>'id')::uuid AS event_id, e->>'type' AS type, e->'data' AS data, e->'metadata' AS metadata,
         (e->>'v')::integer AS stream_version, e->>'prev' AS prev_hash, e->>'hash' AS hash, ord
  FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS x(e, ord)
), ins AS (
  INSERT INTO events (stream_id, stream_version, event_id, type, data, metadata, prev_hash, hash)
  SELECT $1, stream_version, event_id, type, data, metadata, prev_hash, hash FROM input ORDER BY ord
  ON CONFLICT (event_id) DO NOTHING
  RETURNING position, stream_version
), head AS (${headSql})
SELECT position FROM ins ORDER BY stream_version`;

const INSERT_INTO_EXISTING = INSERT_BATCH('UPDATE streams SET version = $3, last_hash = $4 WHERE stream_id = $1');
const INSERT_INTO_NEW = INSERT_BATCH('INSERT INTO streams (stream_id, version, last_hash) VALUES ($1, $3, $4)');

function versionMatches(expected: ExpectedVersion, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === 0;
  if (expected === 'stream_exists') return actual > 0;
  return expected === actual;
}

async function tryAppend(tx: SqlTransaction, streamId: string, events: NewEvent[], expected: ExpectedVersion): Promise<AppendResult> {
  const head = await tx.query<{ version: number; last_hash: string }>(
    'SELECT version, last_hash FROM streams WHERE stream_id = $1 FOR UPDATE',
    [streamId],
  );
  const exists = head.rows.length > 0;
  const version = exists ? Number(head.rows[0].version) : 0;
  if (!versionMatches(expected, version)) throw new Rollback('version', version);

  let prev = exists ? head.rows[0].last_hash : GENESIS_HASH;
  const batch = events.map((e, i) => {
    const v = version + 1 + i;
    const hash = eventHash(prev, { streamId, streamVersion: v, eventId: e.id, type: e.type, data: e.data, metadata: e.metadata });
    const row = { id: e.id, type: e.type, data: e.data, metadata: e.metadata, v, prev, hash };
    prev = hash;
    return row;
  });
  const last = batch[batch.length - 1];
  const inserted = await tx.query<{ position: number | string }>(exists ? INSERT_INTO_EXISTING : INSERT_INTO_NEW, [
    streamId,
    JSON.stringify(batch),
    last.v,
    last.hash,
  ]);
  // Fewer rows than sent: some ids are stored already (maybe by a concurrent retry of this very batch).
  if (inserted.rows.length !== events.length) throw new Rollback('ids_exist', version);
  return { streamId, streamVersion: last.v, positions: inserted.rows.map((r) => Number(r.position)) };
}

/**
 * When the batch's ids are already stored: the stored result if it is this very batch (same stream,
 * same content, consecutive versions), EventIdReusedError otherwise; undefined when none is stored.
 */
export async function findStoredBatch(db: SqlDatabase, streamId: string, events: NewEvent[]): Promise<AppendResult | undefined> {
  const found = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE event_id IN (SELECT jsonb_array_elements_text($1::jsonb)::uuid)`,
    [JSON.stringify(events.map((e) => e.id))],
  );
  if (found.rows.length === 0) return undefined;
  const byId = new Map(found.rows.map((r) => [r.event_id, toRecordedEvent(r)]));
  const stored = events.map((e) => byId.get(e.id));
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const s = stored[i];
    if (!s) {
      const storedId = events.find((x) => byId.has(x.id))!.id;
      throw new EventIdReusedError(storedId, streamId, `already stored, but event ${e.id} of the same batch is not: a different batch reuses the id`);
    }
    if (s.streamId !== streamId) throw new EventIdReusedError(e.id, streamId, `already stored in stream '${s.streamId}' at version ${s.streamVersion}`);
    if (s.type !== e.type || canonicalJson(s.data) !== canonicalJson(e.data) || canonicalJson(s.metadata) !== canonicalJson(e.metadata)) {
      throw new EventIdReusedError(e.id, streamId, `already stored at version ${s.streamVersion} with different content`);
    }
    if (i > 0 && s.streamVersion !== stored[i - 1]!.streamVersion + 1) {
      throw new EventIdReusedError(e.id, streamId, `stored at version ${s.streamVersion}, not right after the previous event of this batch`);
    }
  }
  return { streamId, streamVersion: stored[stored.length - 1]!.streamVersion, positions: stored.map((s) => s!.position) };
}

async function currentVersion(db: SqlDatabase, streamId: string): Promise<number> {
  const r = await db.query<{ version: number }>('SELECT version FROM streams WHERE stream_id = $1', [streamId]);
  return r.rows.length ? Number(r.rows[0].version) : 0;
}

/** Retries of an 'any' append that lost a race creating the stream. */
const MAX_ANY_RETRIES = 5;

export async function appendEvents(
  db: SqlDatabase,
  streamId: string,
  newEvents: NewEvent[],
  expected: ExpectedVersion = 'any',
): Promise<AppendResult> {
  const events = validateAppend(streamId, newEvents, expected);
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await db.transaction((tx) => tryAppend(tx, streamId, events, expected));
      // Committed: wake subscribers. A lost notification only delays them until their next poll.
      await db.query(`SELECT pg_notify('${EVENTS_CHANNEL}', '')`).catch(() => undefined);
      return result;
    } catch (err) {
      if (err instanceof Rollback) {
        // A retry of an append that already succeeded looks like a version conflict or a duplicate id.
        const stored = await findStoredBatch(db, streamId, events);
        if (stored) return stored;
        if (err.reason === 'version') throw new WrongExpectedVersionError(streamId, expected, err.actual);
        // The conflicting ids vanished (their transaction rolled back): try again.
        if (attempt < MAX_ANY_RETRIES) continue;
        throw new WrongExpectedVersionError(streamId, expected, await currentVersion(db, streamId));
      }
      if (sqlErrorCode(err) === UNIQUE_VIOLATION) {
        // Two appends created the same new stream at once; the loser sees the unique key, which is a conflict.
        const stored = await findStoredBatch(db, streamId, events);
        if (stored) return stored;
        const actual = await currentVersion(db, streamId);
        if (!versionMatches(expected, actual) || attempt >= MAX_ANY_RETRIES) {
          throw new WrongExpectedVersionError(streamId, expected, actual);
        }
        continue;
      }
      throw err;
    }
  }
}
