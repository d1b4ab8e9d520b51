// @forge/loop: the self-improvement loop — evaluation, the promotion gate, the jobs and the demo.
export * from './gate';
