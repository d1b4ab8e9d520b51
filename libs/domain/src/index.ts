// @forge/domain: events, deciders and read-model projections. Pure TypeScript: no framework,
// no database, no clock, no randomness; ids and times are passed in.

export * from './shared/event';
export * from './shared/decider';
export * from './shared/errors';
export * from './shared/streams';
export * from './shared/recorded';
export * from './shared/canonical-json';
export * from './events';
