import { eventHash, GENESIS_HASH, sealHash } from './hash';
import type { SqlTransaction, VerifyProblem, VerifyReport } from './port';
import { EVENT_COLUMNS, EventRow, toRecordedEvent } from './rows';
import { headsBelow, listSeals } from './seal';

type Queryable = Pick<SqlTransaction, 'query'>;

export interface SealProblem {
  sealId: number;
  reason: string;
}

export interface FullVerifyReport extends VerifyReport {
  sealProblems: SealProblem[];
}

/** Keeps the report small on a badly damaged store; the first problem is always kept. */
const MAX_PROBLEMS = 1000;
const PAGE = 5000;

function before(a: VerifyProblem, b: VerifyProblem): boolean {
  if (a.streamId !== b.streamId) return a.streamId < b.streamId;
  return a.streamVersion < b.streamVersion;
}

/**
 * Recomputes every stream's chain (versions 1..n without gaps, each prev_hash = the previous hash, each hash =
 * sha256(prev ‖ canonical content)), checks the stream heads table, then every seal. Run it in one
 * REPEATABLE READ transaction so concurrent appends cannot look like damage.
 */
export async function verifyIn(q: Queryable): Promise<FullVerifyReport> {
  const problems: VerifyProblem[] = [];
  let firstProblem: VerifyProblem | undefined;
  const report = (p: VerifyProblem) => {
    if (!firstProblem || before(p, firstProblem)) firstProblem = p;
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };

  let streams = 0;
  let events = 0;
  let stream: string | undefined;
  let lastVersion = 0;
  let lastHash = GENESIS_HASH;
  let cursor: { streamId: string; version: number } | undefined;
  for (;;) {
    const page = cursor
      ? await q.query<EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM events WHERE (stream_id, stream_version) > ($1, $2) ORDER BY stream_id, stream_version LIMIT ${PAGE}`,
          [cursor.streamId, cursor.version],
        )
      : await q.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events ORDER BY stream_id, stream_version LIMIT ${PAGE}`);
    for (const row of page.rows) {
      const e = toRecordedEvent(row);
      events++;
      if (e.streamId !== stream) {
        stream = e.streamId;
        streams++;
        lastVersion = 0;
        lastHash = GENESIS_HASH;
      }
      const at = { streamId: e.streamId, position: e.position };
      if (e.streamVersion !== lastVersion + 1) {
        report({ ...at, streamVersion: lastVersion + 1, reason: `version ${lastVersion + 1} is missing (the next stored version is ${e.streamVersion})` });
      } else if (e.prevHash !== lastHash) {
        report({ ...at, streamVersion: e.streamVersion, reason: `prev_hash does not match the hash of version ${lastVersion}${lastVersion === 0 ? ' (genesis)' : ''}` });
      } else {
        const recomputed = eventHash(e.prevHash, { streamId: e.streamId, streamVersion: e.streamVersion, eventId: e.id, type: e.type, data: e.data, metadata: e.metadata });
        if (recomputed !== e.hash) {
          report({ ...at, streamVersion: e.streamVersion, reason: `content does not match its stored hash (the event was changed after it was written)` });
        }
      }
      lastVersion = e.streamVersion;
      lastHash = e.hash;
    }
    if (page.rows.length < PAGE) break;
    const last = page.rows[page.rows.length - 1];
    cursor = { streamId: last.stream_id, version: Number(last.stream_version) };
  }

  // The stream heads that appends lock and extend must agree with the last stored event.
  const heads = await q.query<{ stream_id: string; version: number | null; last_hash: string | null; max_version: number | null; hash: string | null; position: number | string | null }>(
    `SELECT coalesce(s.stream_id, m.stream_id) AS stream_id, s.version, s.last_hash, m.v AS max_version, e.hash, e.position
     FROM streams s
     FULL JOIN (SELECT stream_id, max(stream_version) AS v FROM events GROUP BY stream_id) m ON m.stream_id = s.stream_id
     LEFT JOIN events e ON e.stream_id = m.stream_id AND e.stream_version = m.v
     WHERE s.version IS DISTINCT FROM m.v OR s.last_hash IS DISTINCT FROM e.hash`,
  );
  for (const h of heads.rows) {
    report({
      streamId: h.stream_id,
      streamVersion: Number(h.version ?? h.max_version ?? 0),
      position: Number(h.position ?? 0),
      reason:
        h.version === null
          ? `events exist up to version ${h.max_version} but the stream head is missing`
          : h.max_version === null
            ? `the stream head says version ${h.version} but the stream has no events`
            : `the stream head (version ${h.version}) does not match the last event (version ${h.max_version}, hash ${String(h.hash).slice(0, 12)}…)`,
    });
  }

  const sealProblems: SealProblem[] = [];
  const seals = await listSeals(q);
  let prevSealHash = GENESIS_HASH;
  for (const seal of seals) {
    if (seal.prevHash !== prevSealHash) {
      sealProblems.push({ sealId: seal.id, reason: `prev_hash does not match the previous seal's hash` });
    } else {
      const { heads: sealedHeads } = await headsBelow(q, seal.upToTransactionId);
      const recomputed = sealHash(seal.prevHash, seal.upToTransactionId, sealedHeads);
      if (recomputed !== seal.hash) {
        sealProblems.push({ sealId: seal.id, reason: `the stream heads below transaction ${seal.upToTransactionId} no longer hash to the sealed value` });
      }
    }
    prevSealHash = seal.hash;
  }

  return {
    ok: !firstProblem && sealProblems.length === 0,
    streams,
    events,
    firstProblem,
    problems,
    seals: { checked: seals.length, broken: sealProblems.length },
    sealProblems,
  };
}
