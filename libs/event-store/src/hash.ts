import { createHash } from 'node:crypto';
import { canonicalJson, NotCanonicalisableError } from './canonical';
import type { JsonObject } from './port';

/** prev_hash of every stream's first event, and of the first seal. */
export const GENESIS_HASH = '0'.repeat(64);

export interface HashedContent {
  streamId: string;
  streamVersion: number;
  eventId: string;
  type: string;
  data: JsonObject;
  metadata: JsonObject;
}

/** sha256(prevHash ‖ canonical{streamId, streamVersion, eventId, type, data, metadata}) as hex; prevHash is the hex text. */
export function eventHash(prevHash: string, e: HashedContent): string {
  return createHash('sha256').update(prevHash + canonicalEventContent(e), 'utf8').digest('hex');
}

/**
 * canonicalJson of {streamId, streamVersion, eventId, type, data, metadata}, with the six keys written in
 * their sorted order directly: this runs for every event appended or verified, and sorting and walking the
 * wrapper object each time costs about as much as hashing. A unit test holds it equal to canonicalJson.
 */
export function canonicalEventContent(e: HashedContent): string {
  try {
    return (
      '{"data":' + canonicalJson(e.data) +
      ',"eventId":' + canonicalJson(e.eventId) +
      ',"metadata":' + canonicalJson(e.metadata) +
      ',"streamId":' + canonicalJson(e.streamId) +
      ',"streamVersion":' + canonicalJson(e.streamVersion) +
      ',"type":' + canonicalJson(e.type) +
      '}'
    );
  } catch (err) {
    if (!(err instanceof NotCanonicalisableError)) throw err;
    // Rethrown by the walk over the whole content, so the error names the full path (e.g. data.scores[2]).
    return canonicalJson({ streamId: e.streamId, streamVersion: e.streamVersion, eventId: e.eventId, type: e.type, data: e.data, metadata: e.metadata });
  }
}

export interface StreamHead {
  streamId: string;
  streamVersion: number;
  hash: string;
}

/** sha256(previous seal hash ‖ canonical{upToTransactionId, heads: [[streamId, version, hash], …]}), heads in the given order. */
export function sealHash(prevSealHash: string, upToTransactionId: string, heads: StreamHead[]): string {
  const h = createHash('sha256').update(prevSealHash, 'utf8');
  h.update(canonicalJson({ upToTransactionId }), 'utf8');
  // Streamed head by head so a store with many streams never builds one huge string.
  for (const head of heads) h.update(canonicalJson([head.streamId, head.streamVersion, head.hash]), 'utf8');
  return h.digest('hex');
}
