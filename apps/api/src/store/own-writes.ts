import type { AppendResult, EventStore, ExpectedVersion, NewEvent, RecordedEvent } from './port';

/**
 * Hands the events this process appended to the read model at once. Readers of the global log
 * only see events below the cluster's oldest open transaction, which can lag a commit by seconds
 * on a busy server; without this, a client would not read its own writes.
 */
export class OwnWrites {
  onAppended: (events: RecordedEvent[]) => void = () => undefined;

  wrap(store: EventStore): EventStore {
    const notify = (events: RecordedEvent[]) => this.onAppended(events);
    return new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'append') {
          return async (streamId: string, events: NewEvent[], expected?: ExpectedVersion): Promise<AppendResult> => {
            const result = await target.append(streamId, events, expected);
            // On an idempotent retry fewer positions may come back; the global log will deliver those.
            if (result.positions.length === events.length) {
              const first = result.streamVersion - events.length + 1;
              const now = new Date().toISOString();
              notify(
                events.map((e, i) => ({ ...e, streamId, streamVersion: first + i, position: result.positions[i], transactionId: '', hash: '', prevHash: '', recordedAt: now })),
              );
            }
            return result;
          };
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }
}
