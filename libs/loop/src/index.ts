// @forge/loop: the self-improvement loop — its steps, the promotion gate, status and the report.
export * from './gate';
export * from './presets';
export * from './record';
export * from './pixels';
export * from './world';
export * from './checkpoints';
export * from './runs';
export * from './labeling';
export * from './generation';
export * from './training';
export * from './evaluation';
export * from './versions';
export * from './loop';
export * from './history';
export * from './report';
