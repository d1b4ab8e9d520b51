import { judgeImage } from './judge';
import { createRng, hashBytes, hashString, mixSeed } from './prng';
import { pixelsOf, Quality, RgbPixels } from './types';

// A simulated expert panel: each rater sees the judge's view (and the truth, when known) through their own
// skill, bias and noise. Used in place of people by tests, benchmarks and the demo.

export interface RaterProfile {
  id: string;
  /** 0 (novice) … 1 (expert): how much of the truth they see and how little noise they add. */
  skill: number;
  /** −1 strict … +1 lenient: shifts every rating. */
  bias: number;
}

export interface Rating {
  quality: 1 | 2 | 3;
  alignment: 1 | 2 | 3;
  msSpent: number;
}

/** What is known for sure about an image (phantoms only). */
export interface KnownTruth {
  quality: Quality;
  /** True if the caption describes the image's real findings. */
  captionMatches: boolean;
}

export interface Panel {
  raters: RaterProfile[];
  rate(raterId: string, image: RgbPixels, caption: string, truth?: KnownTruth): Rating;
}

export function createPanel(options: { seed: number; raters: RaterProfile[] }): Panel {
  const { seed, raters } = options;
  const byId = new Map<string, RaterProfile>();
  for (const r of raters) {
    if (!r.id) throw new RangeError('every rater needs an id');
    if (byId.has(r.id)) throw new RangeError(`rater id '${r.id}' appears twice`);
    if (!(r.skill >= 0 && r.skill <= 1)) throw new RangeError(`rater '${r.id}': skill must be in [0, 1], got ${r.skill}`);
    if (!(r.bias >= -1 && r.bias <= 1)) throw new RangeError(`rater '${r.id}': bias must be in [-1, 1], got ${r.bias}`);
    byId.set(r.id, r);
  }
  const asked = new Map<string, number>();
  // The judge's view of an image does not change between asks; keep the most recent ones.
  const judged = new Map<string, { q: number; m: number }>();
  const judge = (key: string, image: RgbPixels, caption: string) => {
    let v = judged.get(key);
    if (!v) {
      const j = judgeImage(image, caption);
      v = { q: j.quality.quality, m: j.match };
      if (judged.size >= 512) judged.delete(judged.keys().next().value as string);
      judged.set(key, v);
    }
    return v;
  };
  return {
    raters: [...raters],
    rate(raterId, image, caption, truth) {
      const r = byId.get(raterId);
      if (!r) throw Object.assign(new Error(`no rater '${raterId}' on this panel`), { code: 'NOT_FOUND' });
      const imageKey = hashBytes(pixelsOf(image));
      const key = `${raterId}\u0000${imageKey}\u0000${hashString(caption)}`;
      const times = asked.get(key) ?? 0;
      asked.set(key, times + 1);
      // A rater's opinion of one image is mostly fixed (persistent) plus a little that changes each time.
      const persistent = createRng(mixSeed(seed, hashString(raterId), imageKey, hashString(caption)));
      const transient = createRng(mixSeed(seed, hashString(raterId), imageKey, hashString(caption), times + 1));
      const noiseSd = 0.15 + 0.75 * (1 - r.skill);
      const noise = () => noiseSd * (0.8 * persistent.normal() + 0.6 * transient.normal());

      const view = judge(`${imageKey}\u0000${caption}`, image, caption);
      const jq = 1 + 2 * Math.min(1, view.q / 0.85);
      const jm = 1 + 2 * Math.min(1, Math.max(0, (view.m - 0.5) / 0.45));
      const seenQ = truth ? r.skill * truth.quality + (1 - r.skill) * jq : jq;
      const seenM = truth ? r.skill * (truth.captionMatches ? 3 : 1) + (1 - r.skill) * jm : jm;
      const shift = 0.6 * r.bias;
      const msSpent = Math.round(2500 * (1.6 - 0.7 * r.skill) * Math.exp(0.35 * transient.normal()));
      return { quality: toScale(seenQ + shift + noise()), alignment: toScale(seenM + shift + noise()), msSpent };
    },
  };
}

function toScale(v: number): 1 | 2 | 3 {
  return v < 1.5 ? 1 : v < 2.5 ? 2 : 3;
}
