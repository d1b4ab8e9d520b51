// The event store port, re-exported in one place for the API's files.
export * from '@forge/event-store';
