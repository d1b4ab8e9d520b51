import { canonicalJson } from './canonical';
import { EventIdReusedError, InvalidEventError, WrongExpectedVersionError } from './errors';
import { eventHash, GENESIS_HASH } from './hash';
import type { AppendResult, ExpectedVersion, NewEvent, SqlTransaction, StreamBatch } from './port';
import { EVENT_COLUMNS, EventRow, toRecordedEvent } from './rows';
import type { CoalescedNotify } from './coalesced-notify';
import { hotStatement, SqlDatabase, sqlErrorCode, UNIQUE_VIOLATION } from './sql-database';
import { StreamHeadCache, StreamHeadState } from './stream-heads';
import { validateAppend } from './validate';

// An append builds the batch's hash chain on the stream head it knows (cached, or read), then moves the
// head and inserts the batch in ONE statement (forge_append) that the database refuses if the head moved.
// Under heavy contention on one stream it falls back to locking the head row inside a transaction.

/** forge_append's refusals (see schema.ts). */
const HEAD_MOVED = 'FS001';
const IDS_STORED = 'FS002';
/** Optimistic attempts before taking the row lock. */
const OPTIMISTIC_ATTEMPTS = 3;

/** Thrown inside the locked transaction to roll it back; handled by `lockedAppend`. */
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

const READ_HEAD = hotStatement('forge_read_head', 'SELECT version, last_hash FROM streams WHERE stream_id = $1');
const APPEND = hotStatement('forge_append', 'SELECT forge_append($1, $2, $3, $4::jsonb) AS positions');

const INSERT_INTO_EXISTING = INSERT_BATCH('UPDATE streams SET version = $3, last_hash = $4 WHERE stream_id = $1');
const INSERT_INTO_NEW = INSERT_BATCH('INSERT INTO streams (stream_id, version, last_hash) VALUES ($1, $3, $4)');

interface ChainedEvent {
  id: string;
  type: string;
  data: NewEvent['data'];
  metadata: NewEvent['metadata'];
  v: number;
  prev: string;
  hash: string;
}

/** The batch with versions and hashes following the given head. */
function chain(streamId: string, head: StreamHeadState, events: NewEvent[]): ChainedEvent[] {
  let prev = head.hash;
  return events.map((e, i) => {
    const v = head.version + 1 + i;
    const hash = eventHash(prev, { streamId, streamVersion: v, eventId: e.id, type: e.type, data: e.data, metadata: e.metadata });
    const row = { id: e.id, type: e.type, data: e.data, metadata: e.metadata, v, prev, hash };
    prev = hash;
    return row;
  });
}

const NO_STREAM: StreamHeadState = { version: 0, hash: GENESIS_HASH };

async function readHead(db: SqlDatabase, streamId: string): Promise<StreamHeadState> {
  const r = await db.query<{ version: number; last_hash: string }>(READ_HEAD, [streamId]);
  return r.rows.length ? { version: Number(r.rows[0].version), hash: r.rows[0].last_hash } : NO_STREAM;
}

function versionMatches(expected: ExpectedVersion, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === 0;
  if (expected === 'stream_exists') return actual > 0;
  return expected === actual;
}

async function appendUnderLock(tx: SqlTransaction, streamId: string, events: NewEvent[], expected: ExpectedVersion): Promise<AppendResult> {
  const head = await tx.query<{ version: number; last_hash: string }>(
    'SELECT version, last_hash FROM streams WHERE stream_id = $1 FOR UPDATE',
    [streamId],
  );
  const exists = head.rows.length > 0;
  const version = exists ? Number(head.rows[0].version) : 0;
  if (!versionMatches(expected, version)) throw new Rollback('version', version);

  const batch = chain(streamId, exists ? { version, hash: head.rows[0].last_hash } : NO_STREAM, events);
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

/** Retries of a locked 'any' append that lost a race creating the stream. */
const MAX_ANY_RETRIES = 5;

/** A version conflict, unless the batch turns out to be stored already (a retry of a successful append). */
async function refuse(db: SqlDatabase, streamId: string, events: NewEvent[], expected: ExpectedVersion, actual: number): Promise<AppendResult> {
  const stored = await findStoredBatch(db, streamId, events);
  if (stored) return stored;
  throw new WrongExpectedVersionError(streamId, expected, actual);
}

export async function appendEvents(
  db: SqlDatabase,
  heads: StreamHeadCache,
  notify: CoalescedNotify,
  streamId: string,
  newEvents: NewEvent[],
  expected: ExpectedVersion = 'any',
): Promise<AppendResult> {
  const events = validateAppend(streamId, newEvents, expected);
  let head = heads.get(streamId);
  let result: AppendResult | undefined;
  for (let attempt = 0; attempt < OPTIMISTIC_ATTEMPTS && !result; attempt++) {
    // A cached head that disagrees with the caller may just be stale: ask the database.
    if (!head || !versionMatches(expected, head.version)) head = await readHead(db, streamId);
    if (!versionMatches(expected, head.version)) return refuse(db, streamId, events, expected, head.version);
    const batch = chain(streamId, head, events);
    const last = batch[batch.length - 1];
    try {
      const r = await db.query<{ positions: Array<number | string> }>(APPEND, [
        streamId,
        head.version,
        head.hash,
        JSON.stringify(batch),
      ]);
      heads.set(streamId, { version: last.v, hash: last.hash });
      result = { streamId, streamVersion: last.v, positions: r.rows[0].positions.map(Number) };
    } catch (err) {
      heads.delete(streamId);
      head = undefined;
      const code = sqlErrorCode(err);
      if (code === IDS_STORED) {
        const stored = await findStoredBatch(db, streamId, events);
        if (stored) return stored;
      } else if (code !== HEAD_MOVED && code !== UNIQUE_VIOLATION) {
        throw err;
      }
      // Another writer moved the head (or the ids' writer rolled back): look again.
    }
  }
  // Still losing races on a busy stream: wait for the row lock instead.
  result ??= await lockedAppend(db, streamId, events, expected);
  // Committed: wake subscribers, without making the caller wait for it.
  notify.request();
  return result;
}

async function lockedAppend(db: SqlDatabase, streamId: string, events: NewEvent[], expected: ExpectedVersion): Promise<AppendResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.transaction((tx) => appendUnderLock(tx, streamId, events, expected));
    } catch (err) {
      if (err instanceof Rollback) {
        if (err.reason === 'version') return refuse(db, streamId, events, expected, err.actual);
        const stored = await findStoredBatch(db, streamId, events);
        if (stored) return stored;
        // The conflicting ids vanished (their transaction rolled back): try again.
        if (attempt < MAX_ANY_RETRIES) continue;
        throw new WrongExpectedVersionError(streamId, expected, await currentVersion(db, streamId));
      }
      if (sqlErrorCode(err) === UNIQUE_VIOLATION) {
        // Two appends created the same new stream at once; the loser sees the unique key, which is a conflict.
        const stored = await findStoredBatch(db, streamId, events);
        if (stored) return stored;
        const actual = await currentVersion(db, streamId);
        if (!versionMatches(expected, actual) || attempt >= MAX_ANY_RETRIES) throw new WrongExpectedVersionError(streamId, expected, actual);
        continue;
      }
      throw err;
    }
  }
}

/**
 * Appends to several streams in ONE transaction: all batches are stored or none is. Stream rows are
 * locked in stream-id order, so two multi-stream appends cannot deadlock each other. A retry of a
 * batch set that was fully stored before returns the stored results (idempotent by event ids).
 */
export async function appendToStreams(db: SqlDatabase, heads: StreamHeadCache, notify: CoalescedNotify, batches: StreamBatch[]): Promise<AppendResult[]> {
  if (batches.length === 0) return [];
  const streamsSeen = new Set<string>();
  const idsSeen = new Set<string>();
  for (const b of batches) {
    if (streamsSeen.has(b.streamId)) throw new InvalidEventError(`stream '${b.streamId}' appears twice in one multi-stream append`);
    streamsSeen.add(b.streamId);
    for (const e of b.events ?? []) {
      if (idsSeen.has(e.id)) throw new InvalidEventError(`stream '${b.streamId}': event id ${e.id} appears in two batches of one multi-stream append`);
      idsSeen.add(e.id);
    }
  }
  const prepared = batches.map((b) => ({ ...b, events: validateAppend(b.streamId, b.events, b.expectedVersion ?? 'any'), expected: b.expectedVersion ?? 'any' }));
  const order = [...prepared.keys()].sort((a, b) => (prepared[a].streamId < prepared[b].streamId ? -1 : 1));
  for (const b of prepared) heads.delete(b.streamId);
  try {
    const results = await db.transaction(async (tx) => {
      const out: AppendResult[] = new Array(prepared.length);
      for (const i of order) out[i] = await appendUnderLock(tx, prepared[i].streamId, prepared[i].events, prepared[i].expected);
      return out;
    });
    notify.request();
    return results;
  } catch (err) {
    if (!(err instanceof Rollback) && sqlErrorCode(err) !== UNIQUE_VIOLATION) throw err;
    // Either everything was stored by an earlier attempt (an idempotent retry), or this is a conflict.
    const stored = await Promise.all(prepared.map((b) => findStoredBatch(db, b.streamId, b.events)));
    if (stored.every((s) => s !== undefined)) return stored as AppendResult[];
    for (const b of prepared) {
      const actual = await currentVersion(db, b.streamId);
      if (!versionMatches(b.expected, actual)) throw new WrongExpectedVersionError(b.streamId, b.expected, actual);
    }
    // Versions match now: a concurrent writer created a stream or committed meanwhile. Report it as a conflict to retry.
    throw new WrongExpectedVersionError(prepared[0].streamId, prepared[0].expected, await currentVersion(db, prepared[0].streamId));
  }
}
