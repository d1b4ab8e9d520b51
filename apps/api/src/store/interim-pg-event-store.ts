// INTERIM: a small PostgreSQL implementation of the @forge/event-store port, used by the API only
// while that library exports no `openEventStore`. It keeps its own tables (api_interim_*) so it
// never touches the real store's schema. Not for production: no seals, subscriptions or triggers.
import { createHash } from 'node:crypto';
import { Pool, type PoolClient } from 'pg';
import { canonicalJson } from '@forge/domain';
import type { AppendResult, EventStore, ExpectedVersion, NewEvent, ReadAllOptions, RecordedEvent, VerifyProblem, VerifyReport } from './port';

export class InterimWrongExpectedVersionError extends Error {
  readonly code = 'WRONG_EXPECTED_VERSION';
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS api_interim_streams (stream_id text PRIMARY KEY, version int NOT NULL, last_hash text NOT NULL);
CREATE TABLE IF NOT EXISTS api_interim_events (
  position bigserial PRIMARY KEY, transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  stream_id text NOT NULL, stream_version int NOT NULL, id uuid NOT NULL UNIQUE, type text NOT NULL,
  data jsonb NOT NULL, metadata jsonb NOT NULL, hash text NOT NULL, prev_hash text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(), UNIQUE (stream_id, stream_version));
CREATE INDEX IF NOT EXISTS api_interim_events_tx ON api_interim_events (transaction_id, position);`;

const GENESIS = '0'.repeat(64);
const hashOf = (prev: string, streamId: string, version: number, e: { type: string; data: unknown; metadata: unknown }) =>
  createHash('sha256').update(prev).update(canonicalJson({ streamId, version, type: e.type, data: e.data, metadata: e.metadata })).digest('hex');

type Row = { position: string; transaction_id: string; stream_id: string; stream_version: number; id: string; type: string; data: any; metadata: any; hash: string; prev_hash: string; recorded_at: Date };
const toRecorded = (r: Row): RecordedEvent => ({
  id: r.id, type: r.type, data: r.data, metadata: r.metadata, streamId: r.stream_id, streamVersion: r.stream_version,
  position: Number(r.position), transactionId: String(r.transaction_id), hash: r.hash, prevHash: r.prev_hash, recordedAt: r.recorded_at.toISOString(),
});

export async function openInterimPgEventStore(databaseUrl: string): Promise<EventStore> {
  const pool = new Pool({ connectionString: databaseUrl, max: 8 });
  await pool.query(SCHEMA);

  async function inTx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  const store: EventStore = {
    async append(streamId: string, events: NewEvent[], expected: ExpectedVersion = 'any'): Promise<AppendResult> {
      try {
        return await inTx(async (c) => {
          const head = (await c.query('SELECT version, last_hash FROM api_interim_streams WHERE stream_id = $1 FOR UPDATE', [streamId])).rows[0];
          const version: number = head ? head.version : 0;
          const ok = expected === 'any' || (expected === 'no_stream' && !head) || (expected === 'stream_exists' && head) || expected === version;
          if (!ok) throw new InterimWrongExpectedVersionError(`stream ${streamId}: expected version ${expected}, found ${version}`);
          let prev: string = head ? head.last_hash : GENESIS;
          const positions: number[] = [];
          let v = version;
          for (const e of events) {
            v += 1;
            const hash = hashOf(prev, streamId, v, e);
            const r = await c.query(
              'INSERT INTO api_interim_events (stream_id, stream_version, id, type, data, metadata, hash, prev_hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING position',
              [streamId, v, e.id, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata), hash, prev],
            );
            positions.push(Number(r.rows[0].position));
            prev = hash;
          }
          await c.query(
            'INSERT INTO api_interim_streams (stream_id, version, last_hash) VALUES ($1,$2,$3) ON CONFLICT (stream_id) DO UPDATE SET version = $2, last_hash = $3',
            [streamId, v, prev],
          );
          return { streamId, streamVersion: v, positions };
        });
      } catch (err) {
        // Two first appends to a new stream race on the unique key: that is a conflict too.
        if ((err as { code?: string }).code === '23505') throw new InterimWrongExpectedVersionError(`stream ${streamId}: concurrent append`);
        throw err;
      }
    },
    async readStream(streamId: string, options: { fromVersion?: number; toVersion?: number } = {}) {
      const r = await pool.query<Row>(
        'SELECT * FROM api_interim_events WHERE stream_id = $1 AND stream_version >= $2 AND stream_version <= $3 ORDER BY stream_version',
        [streamId, options.fromVersion ?? 1, options.toVersion ?? 2 ** 31 - 1],
      );
      return r.rows.map(toRecorded);
    },
    async readAll(options: ReadAllOptions = {}) {
      const after = options.after ?? { transactionId: '0', position: 0 };
      const r = await pool.query<Row>(
        `SELECT * FROM api_interim_events
          WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot()) AND (transaction_id, position) > ($1::xid8, $2::bigint)
          ORDER BY transaction_id, position LIMIT $3`,
        [after.transactionId, after.position, options.limit ?? 1000],
      );
      return r.rows.map(toRecorded);
    },
    subscribe() {
      throw new Error('subscriptions are not available in the interim API event store');
    },
    async verify(): Promise<VerifyReport> {
      const rows = (await pool.query<Row>('SELECT * FROM api_interim_events ORDER BY stream_id, stream_version')).rows;
      const problems: VerifyProblem[] = [];
      const streams = new Set<string>();
      let prev = GENESIS;
      for (const r of rows) {
        if (!streams.has(r.stream_id)) prev = GENESIS;
        streams.add(r.stream_id);
        const expected = hashOf(prev, r.stream_id, r.stream_version, r);
        if (r.prev_hash !== prev || r.hash !== expected) problems.push({ streamId: r.stream_id, streamVersion: r.stream_version, position: Number(r.position), reason: 'hash chain broken' });
        prev = r.hash;
      }
      return { ok: problems.length === 0, streams: streams.size, events: rows.length, firstProblem: problems[0], problems, seals: { checked: 0, broken: 0 } };
    },
    async seal() {
      throw new Error('seals are not available in the interim API event store');
    },
    async close() {
      await pool.end();
    },
  };
  return store;
}
