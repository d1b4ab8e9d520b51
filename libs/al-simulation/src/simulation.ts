import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_ROUTING_POLICY, route, type Candidate, type RoutingStrategy } from '@forge/active-learning';
import { spearman } from '@forge/metrics';
import { normalizeRating } from '@forge/ml';
import type { RaterProfile } from '@forge/phantom';
import { QualityLearner, TINY_LEARNER, type LearnerConfig, type LearnerView } from './learner';
import { GENERATOR_LIKE_MIX, renderPool, type ImagePool, type QualityMix } from './pool';
import { createRatingDesk, LOOP_PANEL } from './ratings';

export interface SimulationConfig {
  /** Unrated images the router chooses from. */
  poolSize: number;
  /** Images never rated, scored against their true quality after every round. */
  heldOutSize: number;
  /** Selector input side in px (phantoms render at 32 and are box-averaged). */
  imageSize: number;
  /** True-quality mix of the pool and the held-out set (the same generator made both). */
  mix: QualityMix;
  raters: RaterProfile[];
  ratersPerImage: number;
  /** Images rated at random before any model exists. */
  warmStartImages: number;
  /** Images routed per round once a model exists. */
  imagesPerRound: number;
  rounds: number;
  /** Training steps after the warm start, and after every later round (continuing, not restarting). */
  firstSteps: number;
  stepsPerRound: number;
  learner: LearnerConfig;
  /** Routing's diversity pool: k-center runs over the `poolFactor × batch` most uncertain images. */
  poolFactor: number;
  /** Held-out Spearman the selector should reach: "ratings to target" counts the ratings until it first does. */
  targetSpearman: number;
}

/**
 * 600 pool images (a generator's batch, well beyond the labelling budget), 200 held out, a random
 * warm start of 48 ratings (routing's default warm start is 50), then 5 rounds of 32: 208 ratings.
 */
export const DEFAULT_SIMULATION: SimulationConfig = {
  poolSize: 600,
  heldOutSize: 200,
  imageSize: 32,
  mix: GENERATOR_LIKE_MIX,
  raters: LOOP_PANEL,
  ratersPerImage: 1,
  warmStartImages: 48,
  imagesPerRound: 32,
  rounds: 5,
  firstSteps: 60,
  stepsPerRound: 30,
  learner: TINY_LEARNER,
  poolFactor: DEFAULT_ROUTING_POLICY.poolFactor,
  targetSpearman: 0.5,
};

/** Held-out Spearman after a given number of ratings. */
export interface CurvePoint {
  ratings: number;
  images: number;
  spearman: number;
}

export interface LearningCurve {
  strategy: RoutingStrategy;
  seed: number;
  points: CurvePoint[];
  /** How many images of each true quality the strategy had rated at the end: [poor, usable, good]. */
  ratedByQuality: [number, number, number];
  /** Pool indices in the order they were rated. */
  rated: number[];
}

/** Pool and held-out set of one seed, rendered once and shared by every strategy run on it. */
export interface SimulationWorld {
  seed: number;
  pool: ImagePool;
  heldOut: ImagePool;
}

export function renderWorld(config: SimulationConfig, seed: number): SimulationWorld {
  return {
    seed,
    pool: renderPool({ count: config.poolSize, size: config.imageSize, seed: seed * 2 + 1, mix: config.mix, idPrefix: 'pool' }),
    heldOut: renderPool({ count: config.heldOutSize, size: config.imageSize, seed: seed * 2 + 2, mix: config.mix, idPrefix: 'held-out' }),
  };
}

export function validateSimulationConfig(c: SimulationConfig): void {
  const positive = (name: keyof SimulationConfig) => {
    const v = c[name] as number;
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`simulation: ${name} must be a positive integer, got ${v}`);
  };
  (['poolSize', 'heldOutSize', 'imageSize', 'ratersPerImage', 'warmStartImages', 'imagesPerRound', 'firstSteps'] as const).forEach(positive);
  if (!Number.isInteger(c.rounds) || c.rounds < 0) throw new RangeError(`simulation: rounds must be a non-negative integer, got ${c.rounds}`);
  if (!Number.isInteger(c.stepsPerRound) || c.stepsPerRound < 0) throw new RangeError(`simulation: stepsPerRound must be a non-negative integer, got ${c.stepsPerRound}`);
  if (!(c.poolFactor >= 1)) throw new RangeError(`simulation: poolFactor must be ≥ 1, got ${c.poolFactor}`);
  if (!(c.targetSpearman > -1 && c.targetSpearman <= 1)) throw new RangeError(`simulation: targetSpearman must be in (−1, 1], got ${c.targetSpearman}`);
  const wanted = c.warmStartImages + c.rounds * c.imagesPerRound;
  if (wanted > c.poolSize) throw new RangeError(`simulation: ${wanted} images would be rated but the pool has ${c.poolSize}`);
}

/**
 * One active-learning run: a random warm start, then `rounds` rounds of route → rate → continue
 * training → score the held-out set. Everything random derives from the world's seed, so two
 * strategies on one world start from the same warm-start images and the same initial weights.
 */
export function simulateRouting(config: SimulationConfig, world: SimulationWorld, strategy: RoutingStrategy): LearningCurve {
  validateSimulationConfig(config);
  const { pool, heldOut, seed } = world;
  const desk = createRatingDesk({ seed: seed * 17 + 3, raters: config.raters, ratersPerImage: config.ratersPerImage });
  const learner = new QualityLearner(config.learner, config.imageSize, seed);
  const s = config.imageSize;
  const poolImages = tf.tensor4d(pool.pixels, [pool.images.length, s, s, 3]);
  const heldOutImages = tf.tensor4d(heldOut.pixels, [heldOut.images.length, s, s, 3]);
  const truth = heldOut.images.map((im) => im.quality);
  const rated: number[] = [];
  const targets: number[] = [];
  const points: CurvePoint[] = [];
  try {
    const rate = (indices: readonly number[]) => {
      for (const i of indices) {
        const ratings = desk.rate(pool.images[i]);
        rated.push(i);
        targets.push(ratings.reduce((a, r) => a + normalizeRating(r), 0) / ratings.length);
      }
    };
    const measure = () => points.push({ ratings: desk.given, images: rated.length, spearman: spearman(learner.view(heldOutImages).score, truth) });

    // Warm start: the models know nothing yet, so every strategy routes at random here.
    rate(pickByRouting(null, pool.images.map((_, i) => i), [], config.warmStartImages, 'random', config.poolFactor, seed * 1000));
    learner.train(poolImages, rated, targets, config.firstSteps);
    measure();
    for (let round = 1; round <= config.rounds; round++) {
      const isRated = new Set(rated);
      const unrated = pool.images.map((_, i) => i).filter((i) => !isRated.has(i));
      // Random routing never looks at the models, so it is not charged for scoring the pool.
      const view = strategy === 'random' ? null : learner.view(poolImages);
      rate(pickByRouting(view, unrated, rated, config.imagesPerRound, strategy, config.poolFactor, seed * 1000 + round));
      learner.train(poolImages, rated, targets, config.stepsPerRound);
      measure();
    }
    const ratedByQuality: [number, number, number] = [0, 0, 0];
    for (const i of rated) ratedByQuality[pool.images[i].quality - 1]++;
    return { strategy, seed, points, ratedByQuality, rated };
  } finally {
    tf.dispose([poolImages, heldOutImages]);
    learner.dispose();
  }
}

/** Pool indices the router sends to the panel; `view` covers the whole pool, null when no model is asked. */
function pickByRouting(view: LearnerView | null, unrated: readonly number[], rated: readonly number[], budget: number, strategy: RoutingStrategy, poolFactor: number, seed: number): number[] {
  const candidates: Candidate[] = unrated.map((i) => ({
    imageId: String(i),
    score: view?.score[i],
    samples: view?.samples[i],
    features: view?.features[i],
  }));
  const decisions = route({
    candidates,
    budget,
    ratingsSoFar: 0,
    // Gold and repeat tasks check raters, they teach the selector nothing: left out of this comparison.
    policy: { strategy: view ? strategy : 'random', warmStartRatings: 0, goldFraction: 0, repeatFraction: 0, poolFactor, seed },
    ratedFeatures: view ? rated.map((i) => view.features[i]) : undefined,
  });
  return decisions.map((d) => Number(d.imageId));
}
