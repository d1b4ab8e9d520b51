import { bald, ensembleDisagreement, normalisedRanks, thresholdCloseness } from './acquisition';
import { kCenterGreedy } from './diversity';
import { Candidate, ratersWantedAfter, ratingsDisagree, route } from './routing';

describe('acquisition measures', () => {
  it('agree on what is uncertain', () => {
    expect(ensembleDisagreement([0.5, 0.5, 0.5])).toBe(0);
    expect(ensembleDisagreement([0.1, 0.9])).toBeCloseTo(0.4, 12);
    expect(bald([0.9, 0.9, 0.9])).toBeCloseTo(0, 12); // confident and agreeing: nothing to learn
    expect(bald([0.05, 0.95])).toBeGreaterThan(bald([0.45, 0.55]));
    expect(thresholdCloseness(0.5)).toBe(1);
    expect(thresholdCloseness(1)).toBe(0);
    expect(normalisedRanks([3, 1, 2, 2])).toEqual([1, 0, 0.5, 0.5]);
  });

  it('k-center spreads over clusters before repeating one', () => {
    const features = [[0, 0], [0.1, 0], [0, 0.1], [10, 10], [10.1, 10], [-10, 5]];
    const chosen = kCenterGreedy(features, 3, 0);
    expect(new Set(chosen.map((i) => Math.round(features[i][0] / 10)))).toEqual(new Set([0, 1, -1]));
  });
});

describe('routing', () => {
  const candidates: Candidate[] = Array.from({ length: 40 }, (_, i) => {
    const spread = i < 10 ? 0.3 : 0.01; // the first ten are uncertain
    const centre = i < 10 ? 0.5 : 0.9;
    return { imageId: `img-${i}`, score: centre, samples: [centre - spread, centre + spread], features: [i % 5, Math.floor(i / 5)] };
  });

  it('is random during the warm start and deterministic for a seed', () => {
    const a = route({ candidates, budget: 8, ratingsSoFar: 0, policy: { seed: 4 } });
    expect(a.every((d) => d.reason === 'random')).toBe(true);
    expect(route({ candidates, budget: 8, ratingsSoFar: 0, policy: { seed: 4 } })).toEqual(a);
    expect(route({ candidates, budget: 8, ratingsSoFar: 0, policy: { seed: 5 } })).not.toEqual(a);
  });

  it('after the warm start asks about the uncertain images', () => {
    const decisions = route({ candidates, budget: 8, ratingsSoFar: 100, policy: { strategy: 'uncertainty' } });
    expect(decisions.map((d) => Number(d.imageId.slice(4))).every((i) => i < 10)).toBe(true);
    expect(decisions.every((d) => d.reason === 'uncertain' && d.acquisition > 0)).toBe(true);
  });

  it('mixes in gold and repeats at their shares and never routes an image twice', () => {
    const decisions = route({
      candidates,
      budget: 20,
      ratingsSoFar: 100,
      policy: { goldFraction: 0.1, repeatFraction: 0.1 },
      goldImageIds: ['gold-1', 'gold-2', 'gold-3'],
      repeatImageIds: ['img-0', 'img-30', 'img-31'],
    });
    expect(decisions).toHaveLength(20);
    expect(decisions.filter((d) => d.reason === 'gold')).toHaveLength(2);
    expect(decisions.filter((d) => d.reason === 'repeat')).toHaveLength(2);
    expect(new Set(decisions.map((d) => d.imageId)).size).toBe(20);
  });

  it('k-center counts rated images as centres: it spreads away from what experts have already seen', () => {
    // Ten equally uncertain images in two clusters; the experts have rated images of the first cluster.
    const twoClusters: Candidate[] = Array.from({ length: 10 }, (_, i) => ({ imageId: `c-${i}`, score: 0.5, samples: [0.3, 0.7], features: i < 5 ? [0, i * 0.01] : [5, i * 0.01] }));
    const policy = { strategy: 'uncertainty+diversity' as const, poolFactor: 10 };
    const seen = [[0, 0.02], [0, 0.03]];
    const withRated = route({ candidates: twoClusters, budget: 1, ratingsSoFar: 100, policy, ratedFeatures: seen });
    expect(Number(withRated[0].imageId.slice(2))).toBeGreaterThanOrEqual(5);
    const without = route({ candidates: twoClusters, budget: 1, ratingsSoFar: 100, policy });
    expect(Number(without[0].imageId.slice(2))).toBeLessThan(5);
    expect(() => route({ candidates: twoClusters, budget: 2, ratingsSoFar: 100, policy, ratedFeatures: [[1, 2, 3]] })).toThrow(/ratedFeatures\[0\] has 3 values/);
  });

  it('refuses a negative budget', () => {
    expect(() => route({ candidates, budget: -1, ratingsSoFar: 0 })).toThrow(/budget/);
  });
});

describe('overlap', () => {
  it('adds a rater on disagreement, up to the cap', () => {
    expect(ratingsDisagree([1, 3])).toBe(true);
    expect(ratingsDisagree([2, 2, 3])).toBe(false);
    expect(ratingsDisagree([2, 3])).toBe(true);
    expect(ratersWantedAfter([1, 3], 2, 4)).toBe(3);
    expect(ratersWantedAfter([1, 3, 2, 3], 4, 4)).toBe(4);
    expect(ratersWantedAfter([2, 2], 2, 4)).toBe(2);
    expect(ratersWantedAfter([1], 2, 4)).toBe(2);
  });
});
