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
    // Methods are bound once per function, not on every call: the store is used on every request.
    const bound = new Map<PropertyKey, { method: unknown; bound: unknown }>();
    let append: EventStore['append'] | undefined;
    return new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'append' && append) return append;
        if (prop === 'append') {
          append = async (streamId: string, events: NewEvent[], expected?: ExpectedVersion): Promise<AppendResult> => {
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
          return append;
        }
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        const known = bound.get(prop);
        if (known?.method === value) return known.bound;
        const method = value.bind(target);
        bound.set(prop, { method: value, bound: method });
        return method;
      },
    });
  }
}
