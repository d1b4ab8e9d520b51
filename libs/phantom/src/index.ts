export * from './types';
export { createRng, mixSeed, hashBytes, hashString } from './prng';
export type { Rng } from './prng';
export { renderPhantom, MIN_SIZE, MAX_SIZE } from './render';
export type { RenderOptions } from './render';
export type { SceneOptions } from './scene';
export { describe, shortCaption, diagnosisPhrase, findingsFromCaption } from './caption';
