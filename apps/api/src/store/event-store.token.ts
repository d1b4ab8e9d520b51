/** Nest injection token for the event store port (`EventStore` from @forge/event-store). */
export const EVENT_STORE = Symbol('EVENT_STORE');
