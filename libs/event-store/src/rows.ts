import type { JsonObject, RecordedEvent } from './port';

/** Column list every event read selects; ids and xid8 as text so both drivers return strings. */
export const EVENT_COLUMNS = `position, transaction_id::text AS transaction_id, stream_id, stream_version,
  event_id::text AS event_id, type, data, metadata, prev_hash, hash,
  to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS recorded_at`;

export interface EventRow {
  position: number | string;
  transaction_id: string;
  stream_id: string;
  stream_version: number;
  event_id: string;
  type: string;
  data: JsonObject;
  metadata: JsonObject;
  prev_hash: string;
  hash: string;
  /** ISO 8601 in UTC with microseconds (formatted by the database, so no Date parsing per row). */
  recorded_at: string;
}

export function toRecordedEvent(r: EventRow): RecordedEvent {
  return {
    id: r.event_id,
    type: r.type,
    data: r.data,
    metadata: r.metadata,
    streamId: r.stream_id,
    streamVersion: Number(r.stream_version),
    // pg returns bigint as text; positions stay far below 2^53.
    position: Number(r.position),
    transactionId: r.transaction_id,
    hash: r.hash,
    prevHash: r.prev_hash,
    recordedAt: r.recorded_at,
  };
}
