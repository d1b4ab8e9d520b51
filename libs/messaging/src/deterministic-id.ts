import { createHash } from 'node:crypto';

/**
 * A uuid derived from sha256 of the parts (RFC 9562 version 8, "custom"): the same inputs always give
 * the same id, so a trigger decided twice appends one event and enqueues one job.
 */
export function deterministicUuid(...parts: (string | number)[]): string {
  const h = createHash('sha256');
  // Length-prefix each part so ('a1', 2) and ('a', 12) differ.
  for (const p of parts) {
    const s = String(p);
    h.update(`${Buffer.byteLength(s)}:${s};`);
  }
  const b = h.digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x80; // version 8
  b[8] = (b[8] & 0x3f) | 0x80; // RFC variant
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
