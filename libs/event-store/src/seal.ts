import { GENESIS_HASH, sealHash, StreamHead } from './hash';
import type { Seal, SqlTransaction } from './port';

type Queryable = Pick<SqlTransaction, 'query'>;

export interface StoredSeal extends Seal {
  /** Covers exactly the events whose transaction id is below this (xid8 as text). */
  upToTransactionId: string;
  prevHash: string;
  streamCount: number;
}

interface SealRow {
  id: number | string;
  up_to_transaction_id: string;
  up_to_position: number | string;
  stream_count: number;
  prev_hash: string;
  hash: string;
  sealed_at: Date | string;
}

const SEAL_COLUMNS = `id, up_to_transaction_id::text AS up_to_transaction_id, up_to_position, stream_count, prev_hash, hash, sealed_at`;

function toSeal(r: SealRow): StoredSeal {
  return {
    id: Number(r.id),
    upToTransactionId: r.up_to_transaction_id,
    upToPosition: Number(r.up_to_position),
    streamCount: Number(r.stream_count),
    prevHash: r.prev_hash,
    hash: r.hash,
    sealedAt: (r.sealed_at instanceof Date ? r.sealed_at : new Date(r.sealed_at)).toISOString(),
  };
}

/** Every stream's last event among those with transaction id below `upTo`, in byte order of stream id. */
export async function headsBelow(q: Queryable, upTo: string): Promise<{ heads: StreamHead[]; maxPosition: number }> {
  const r = await q.query<{ stream_id: string; stream_version: number; hash: string; position: number | string }>(
    `SELECT e.stream_id, e.stream_version, e.hash, m.max_position AS position
     FROM events e
     JOIN (SELECT stream_id, max(stream_version) AS v, max(position) AS max_position
           FROM events WHERE transaction_id < $1::xid8 GROUP BY stream_id) m
       ON m.stream_id = e.stream_id AND m.v = e.stream_version
     ORDER BY e.stream_id COLLATE "C"`,
    [upTo],
  );
  let maxPosition = 0;
  const heads = r.rows.map((row) => {
    maxPosition = Math.max(maxPosition, Number(row.position));
    return { streamId: row.stream_id, streamVersion: Number(row.stream_version), hash: row.hash };
  });
  return { heads, maxPosition };
}

export async function listSeals(q: Queryable): Promise<StoredSeal[]> {
  const r = await q.query<SealRow>(`SELECT ${SEAL_COLUMNS} FROM seals ORDER BY id`);
  return r.rows.map(toSeal);
}

/** Seals every finished transaction's events: a hash over all stream heads, chained to the previous seal. */
export async function sealIn(tx: SqlTransaction): Promise<StoredSeal> {
  // One sealer at a time, so the chain of seals has no forks.
  await tx.query('LOCK TABLE seals IN SHARE ROW EXCLUSIVE MODE');
  const prev = await tx.query<SealRow>(`SELECT ${SEAL_COLUMNS} FROM seals ORDER BY id DESC LIMIT 1`);
  const horizon = await tx.query<{ xmin: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin');
  const prevSeal = prev.rows.length ? toSeal(prev.rows[0]) : undefined;
  let upTo = horizon.rows[0].xmin;
  if (prevSeal && BigInt(prevSeal.upToTransactionId) > BigInt(upTo)) upTo = prevSeal.upToTransactionId;
  const { heads, maxPosition } = await headsBelow(tx, upTo);
  const prevHash = prevSeal?.hash ?? GENESIS_HASH;
  const hash = sealHash(prevHash, upTo, heads);
  const ins = await tx.query<SealRow>(
    `INSERT INTO seals (up_to_transaction_id, up_to_position, stream_count, prev_hash, hash)
     VALUES ($1::xid8, $2, $3, $4, $5) RETURNING ${SEAL_COLUMNS}`,
    [upTo, maxPosition, heads.length, prevHash, hash],
  );
  return toSeal(ins.rows[0]);
}
