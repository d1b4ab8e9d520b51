// @forge/domain: events, deciders and read-model projections. Pure TypeScript: no framework,
// no database, no clock, no randomness; ids and times are passed in.

export * from './shared/event';
export * from './shared/decider';
export * from './shared/errors';
export * from './shared/streams';
export * from './shared/recorded';
export * from './shared/canonical-json';
export * from './events';
export * from './dataset/dataset.decider';
export * from './image/image.decider';
export * from './generation/generation.decider';
export * from './label-task/consensus';
export * from './label-task/label-task.decider';
export * from './user/user.decider';
export * from './expert/expert.decider';
export * from './model-version/model-version.decider';
export * from './training-run/training-run.decider';
export * from './projections';
