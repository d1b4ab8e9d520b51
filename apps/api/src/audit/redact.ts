import type { RecordedEvent } from '../store/port';

/**
 * Audit reads show every event, but not the password hashes inside user events. The export
 * (evidence whose hashes must verify) keeps events byte-for-byte and is admin/auditor only too.
 */
export function redacted(e: RecordedEvent): RecordedEvent {
  if (!('passwordHash' in e.data)) return e;
  return { ...e, data: { ...e.data, passwordHash: '[redacted]' } };
}
