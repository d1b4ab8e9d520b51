import { dawidSkene, majorityVote, type Label } from '@forge/active-learning';
import { createPanel, type RaterProfile } from '@forge/phantom';
import type { ImagePool } from './pool';

export interface ConsensusComparison {
  images: number;
  ratings: number;
  /** Share of images whose consensus equals the true quality. */
  dawidSkene: number;
  majority: number;
  /** Dawid–Skene's estimated reliability per rater, next to the rater's true skill. */
  raters: { id: string; skill: number; bias: number; reliability: number }[];
}

/**
 * Every image of `pool` rated by `ratersPerImage` raters of the panel (taken in turn), then the true
 * quality recovered by majority vote and by Dawid–Skene from the same ratings.
 */
export function compareConsensus(options: { pool: ImagePool; raters: RaterProfile[]; ratersPerImage: number; seed: number }): ConsensusComparison {
  const { pool, raters, ratersPerImage, seed } = options;
  if (!Number.isInteger(ratersPerImage) || ratersPerImage < 1 || ratersPerImage > raters.length) {
    throw new RangeError(`compareConsensus: ratersPerImage must be an integer from 1 to the panel size ${raters.length}, got ${ratersPerImage}`);
  }
  const panel = createPanel({ seed, raters });
  const labels: Label[] = [];
  pool.images.forEach((image, i) => {
    for (let k = 0; k < ratersPerImage; k++) {
      const rater = raters[(i + k) % raters.length];
      const r = panel.rate(rater.id, image.phantom, image.phantom.caption, { quality: image.quality, captionMatches: true });
      labels.push({ item: image.id, rater: rater.id, value: r.quality });
    }
  });
  const ds = dawidSkene(labels);
  const mv = majorityVote(labels);
  const accuracy = (pred: Map<string, number>) => pool.images.filter((im) => pred.get(im.id) === im.quality).length / pool.images.length;
  return {
    images: pool.images.length,
    ratings: labels.length,
    dawidSkene: accuracy(ds.labels),
    majority: accuracy(mv),
    raters: raters.map((r) => ({ id: r.id, skill: r.skill, bias: r.bias, reliability: ds.reliability.get(r.id) ?? NaN })),
  };
}
