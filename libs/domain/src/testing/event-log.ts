import type { DomainEvent } from '../events';
import type { RecordedLike } from '../shared/recorded';

/**
 * An in-memory log for projection tests: appends assign stream versions and global positions,
 * and a recording time one second apart from a start instant.
 */
export function eventLog(start = '2026-01-01T00:00:00.000Z') {
  const events: RecordedLike<DomainEvent>[] = [];
  const byStream = new Map<string, RecordedLike<DomainEvent>[]>();
  const startMs = Date.parse(start);
  return {
    events,
    /** The events of one stream, as a handler loads them. */
    stream(streamId: string): RecordedLike<DomainEvent>[] {
      return byStream.get(streamId) ?? [];
    },
    append(streamId: string, batch: DomainEvent[]): RecordedLike<DomainEvent>[] {
      const recorded = batch.map((event) => {
        const stream = byStream.get(streamId) ?? [];
        byStream.set(streamId, stream);
        const streamVersion = stream.length + 1;
        const position = events.length + 1;
        const entry = { ...event, streamId, streamVersion, position, recordedAt: new Date(startMs + position * 1000).toISOString() };
        events.push(entry);
        stream.push(entry);
        return entry;
      });
      return recorded;
    },
  };
}
