import { createPanel, type RaterProfile } from '@forge/phantom';
import type { PoolImage } from './pool';

/** The loop's panel (libs/loop presets): a senior grader, a strict grader and a lenient resident. */
export const LOOP_PANEL: RaterProfile[] = [
  { id: 'rater-senior', skill: 0.9, bias: 0 },
  { id: 'rater-resident', skill: 0.6, bias: 0.2 },
  { id: 'rater-strict', skill: 0.75, bias: -0.3 },
];

/**
 * A team whose skills differ widely, as when trainees grade next to consultants: what consensus
 * methods are for. Skill and bias as in @forge/phantom's `RaterProfile`.
 */
export const MIXED_PANEL: RaterProfile[] = [
  { id: 'senior-a', skill: 0.9, bias: 0 },
  { id: 'senior-b', skill: 0.8, bias: -0.2 },
  { id: 'grader-c', skill: 0.55, bias: 0.3 },
  { id: 'grader-d', skill: 0.4, bias: -0.3 },
  { id: 'trainee-e', skill: 0.25, bias: 0.4 },
];

export interface RatingDesk {
  /** Quality ratings 1..3 of one image, one per rater asked; counts towards `given`. */
  rate(image: PoolImage): number[];
  /** Ratings handed out so far (the labelling budget spent). */
  readonly given: number;
}

/**
 * The simulated panel behind the labelling queue: each image goes to `ratersPerImage` different
 * raters, taken in turn so every rater sees a share of every strategy's choices.
 */
export function createRatingDesk(options: { seed: number; raters?: RaterProfile[]; ratersPerImage?: number }): RatingDesk {
  const raters = options.raters ?? LOOP_PANEL;
  const perImage = options.ratersPerImage ?? 1;
  if (!Number.isInteger(perImage) || perImage < 1 || perImage > raters.length) {
    throw new RangeError(`ratersPerImage must be an integer from 1 to the panel size ${raters.length}, got ${perImage}`);
  }
  const panel = createPanel({ seed: options.seed, raters });
  let turn = 0;
  let given = 0;
  return {
    rate(image) {
      const out: number[] = [];
      for (let k = 0; k < perImage; k++) {
        const rater = raters[(turn + k) % raters.length];
        out.push(panel.rate(rater.id, image.phantom, image.phantom.caption, { quality: image.quality, captionMatches: true }).quality);
      }
      turn++;
      given += out.length;
      return out;
    },
    get given() {
      return given;
    },
  };
}
