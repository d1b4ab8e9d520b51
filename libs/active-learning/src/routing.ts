import { bald, ensembleDisagreement, normalisedRanks, thresholdCloseness } from './acquisition';
import { kCenterGreedy } from './diversity';
import { seededRandom, shuffled } from './random';

/** An image the models have scored, offered for labelling. */
export interface Candidate {
  imageId: string;
  /** Selector score in [0,1] (mean over the ensemble). */
  score?: number;
  /** Ensemble members' or MC-dropout passes' scores. */
  samples?: readonly number[];
  /** Image features (e.g. the selector's embedding) for diversity. */
  features?: readonly number[];
}

export type RoutingReason = 'uncertain' | 'random' | 'gold' | 'repeat';

export interface RoutingDecision {
  imageId: string;
  reason: RoutingReason;
  /** Higher is served first. */
  priority: number;
  /** Why this image, in numbers (acquisition value, 0 for random/gold/repeat). */
  acquisition: number;
}

export type RoutingStrategy = 'random' | 'uncertainty' | 'uncertainty+diversity';

export interface RoutingPolicy {
  strategy: RoutingStrategy;
  /** Until this many ratings exist, routing is random (the models know nothing yet). */
  warmStartRatings: number;
  /** Share of the budget given to gold images with known answers. */
  goldFraction: number;
  /** Share of the budget given to repeats of already rated images (rater consistency). */
  repeatFraction: number;
  /** Selector decision threshold (closeness to it counts as uncertainty). */
  threshold: number;
  /** Diversity pool: the top `poolFactor × budget` uncertain images, then k-center among them. */
  poolFactor: number;
  seed: number;
}

export const DEFAULT_ROUTING_POLICY: RoutingPolicy = {
  strategy: 'uncertainty+diversity',
  warmStartRatings: 50,
  goldFraction: 0.05,
  repeatFraction: 0.05,
  threshold: 0.5,
  poolFactor: 3,
  seed: 1,
};

/** One number per candidate: the mean normalised rank of disagreement, BALD and threshold closeness. */
export function uncertaintyOf(candidates: readonly Candidate[], threshold: number): number[] {
  const measures: number[][] = [];
  if (candidates.some((c) => c.samples && c.samples.length > 1)) {
    measures.push(normalisedRanks(candidates.map((c) => ensembleDisagreement(c.samples ?? []))));
    measures.push(normalisedRanks(candidates.map((c) => bald(c.samples ?? []))));
  }
  if (candidates.some((c) => c.score !== undefined)) {
    measures.push(normalisedRanks(candidates.map((c) => (c.score === undefined ? 0 : thresholdCloseness(c.score, threshold)))));
  }
  if (measures.length === 0) return candidates.map(() => 0);
  return candidates.map((_, i) => measures.reduce((s, m) => s + m[i], 0) / measures.length);
}

/**
 * Chooses `budget` images to send to experts: gold and repeat shares first, then by strategy
 * (random during the warm start). Deterministic for a given seed.
 */
export function route(input: {
  candidates: readonly Candidate[];
  budget: number;
  ratingsSoFar: number;
  policy?: Partial<RoutingPolicy>;
  goldImageIds?: readonly string[];
  repeatImageIds?: readonly string[];
  /**
   * Features of images already rated (same space as the candidates'): k-center then counts them as
   * centres already chosen, so it spreads away from what experts have seen, not only within the batch.
   */
  ratedFeatures?: readonly (readonly number[])[];
}): RoutingDecision[] {
  const policy = { ...DEFAULT_ROUTING_POLICY, ...input.policy };
  if (!Number.isInteger(input.budget) || input.budget < 0) throw new RangeError(`budget must be a non-negative integer, got ${input.budget}`);
  const random = seededRandom(policy.seed);
  const decisions: RoutingDecision[] = [];
  const taken = new Set<string>();
  const add = (imageId: string, reason: RoutingReason, priority: number, acquisition: number) => {
    if (taken.has(imageId) || decisions.length >= input.budget) return;
    taken.add(imageId);
    decisions.push({ imageId, reason, priority, acquisition });
  };

  const gold = shuffled(input.goldImageIds ?? [], random).slice(0, Math.round(policy.goldFraction * input.budget));
  for (const id of gold) add(id, 'gold', 1, 0);
  const repeats = shuffled(input.repeatImageIds ?? [], random).slice(0, Math.round(policy.repeatFraction * input.budget));
  for (const id of repeats) add(id, 'repeat', 1, 0);

  const remaining = input.candidates.filter((c) => !taken.has(c.imageId));
  const left = input.budget - decisions.length;
  const warm = input.ratingsSoFar < policy.warmStartRatings;
  if (policy.strategy === 'random' || warm) {
    for (const c of shuffled(remaining, random).slice(0, left)) add(c.imageId, 'random', 2, 0);
    return decisions;
  }

  const u = uncertaintyOf(remaining, policy.threshold);
  const byUncertainty = remaining.map((c, i) => ({ c, u: u[i] })).sort((a, b) => b.u - a.u || a.c.imageId.localeCompare(b.c.imageId));
  if (policy.strategy === 'uncertainty' || !remaining.every((c) => c.features && c.features.length > 0)) {
    for (const { c, u: value } of byUncertainty.slice(0, left)) add(c.imageId, 'uncertain', 2 + value, value);
    return decisions;
  }
  // Uncertainty first, then spread: k-center inside the most uncertain pool avoids asking about near-duplicates.
  const pool = byUncertainty.slice(0, Math.max(left, Math.ceil(policy.poolFactor * left)));
  const rated = input.ratedFeatures ?? [];
  const dim = pool[0]?.c.features!.length;
  const wrong = rated.findIndex((f) => f.length !== dim);
  if (wrong >= 0) throw new RangeError(`ratedFeatures[${wrong}] has ${rated[wrong].length} values, the candidates' features have ${dim}`);
  const features = [...pool.map((p) => p.c.features!), ...rated];
  const order = kCenterGreedy(features, left, 0, rated.map((_, i) => pool.length + i)).filter((idx) => idx < pool.length);
  for (const idx of order) add(pool[idx].c.imageId, 'uncertain', 2 + pool[idx].u, pool[idx].u);
  // k-center stops early on identical features: fill what is left by uncertainty.
  for (const { c, u: value } of pool) add(c.imageId, 'uncertain', 2 + value, value);
  return decisions;
}

/** Ratings of one task disagree when they span the whole scale or no value has a majority. */
export function ratingsDisagree(values: readonly number[]): boolean {
  if (values.length < 2) return false;
  const spread = Math.max(...values) - Math.min(...values);
  if (spread >= 2) return true;
  if (spread === 0) return false;
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return Math.max(...counts.values()) * 2 <= values.length;
}

/** How many raters a task should want after its ratings so far: one more on disagreement, up to the cap. */
export function ratersWantedAfter(values: readonly number[], ratersWanted: number, cap: number): number {
  if (values.length < ratersWanted) return ratersWanted;
  return ratingsDisagree(values) ? Math.min(cap, ratersWanted + 1) : ratersWanted;
}
