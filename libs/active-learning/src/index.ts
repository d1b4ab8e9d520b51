// @forge/active-learning: which images experts should rate next, and what their ratings agree on.
export * from './random';
export * from './acquisition';
export * from './diversity';
export * from './routing';
export * from './consensus';
export * from './agreement';
