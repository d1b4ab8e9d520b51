import type { DomainEvent } from '../events';
import type { RecordedLike } from '../shared/recorded';

/**
 * An in-memory log for projection tests: appends assign stream versions and global positions,
 * and a recording time one second apart from a start instant.
 */
export function eventLog(start = '2026-01-01T00:00:00.000Z') {
  const events: RecordedLike<DomainEvent>[] = [];
  const versions = new Map<string, number>();
  const startMs = Date.parse(start);
  return {
    events,
    append(streamId: string, batch: DomainEvent[]): RecordedLike<DomainEvent>[] {
      const recorded = batch.map((event) => {
        const streamVersion = (versions.get(streamId) ?? 0) + 1;
        versions.set(streamId, streamVersion);
        const position = events.length + 1;
        const entry = { ...event, streamId, streamVersion, position, recordedAt: new Date(startMs + position * 1000).toISOString() };
        events.push(entry);
        return entry;
      });
      return recorded;
    },
  };
}
