import { GlobalCheckpoint, ReadAllOptions, RecordedEvent, START, SqlTransaction } from './port';
import { EVENT_COLUMNS, EventRow, toRecordedEvent } from './rows';
import { hotStatement } from './sql-database';

type Queryable = Pick<SqlTransaction, 'query'>;

// ORDER BY names the table's columns: the bare names would be the text aliases of EVENT_COLUMNS.
// Only rows of transactions below the snapshot's xmin: every one of those has finished, so no event can
// still appear behind the returned ones. The order (transaction id, position) is stable, not commit order.
const READ_ALL = hotStatement('forge_read_all', `SELECT ${EVENT_COLUMNS} FROM events
  WHERE (transaction_id, position) > ($1::xid8, $2::bigint)
    AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
  ORDER BY events.transaction_id, events.position
  LIMIT $3`);

const READ_STREAM = hotStatement(
  'forge_read_stream',
  `SELECT ${EVENT_COLUMNS} FROM events
     WHERE stream_id = $1 AND stream_version >= $2 AND stream_version <= $3
     ORDER BY stream_version`,
);

export async function readAllAfter(q: Queryable, options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
  const after = options.after ?? START;
  const limit = options.limit ?? null;
  if (limit !== null && !(Number.isInteger(limit) && limit >= 0)) throw new RangeError(`readAll limit must be an integer ≥ 0, got ${limit}`);
  const r = await q.query<EventRow>(READ_ALL, [after.transactionId, after.position, limit]);
  return r.rows.map(toRecordedEvent);
}

/** Pages through the whole visible log in reader order; for exports and rebuilds. */
export async function* readAllPages(q: Queryable, options: { after?: GlobalCheckpoint; pageSize?: number } = {}): AsyncGenerator<RecordedEvent[]> {
  const pageSize = options.pageSize ?? 5000;
  let after = options.after ?? START;
  for (;;) {
    const page = await readAllAfter(q, { after, limit: pageSize });
    if (page.length === 0) return;
    yield page;
    const last = page[page.length - 1];
    after = { transactionId: last.transactionId, position: last.position };
    if (page.length < pageSize) return;
  }
}

export async function readStreamEvents(q: Queryable, streamId: string, options: { fromVersion?: number; toVersion?: number } = {}): Promise<RecordedEvent[]> {
  const r = await q.query<EventRow>(READ_STREAM, [streamId, options.fromVersion ?? 1, options.toVersion ?? 2147483647]);
  return r.rows.map(toRecordedEvent);
}

export function checkpointOf(e: RecordedEvent): GlobalCheckpoint {
  return { transactionId: e.transactionId, position: e.position };
}
