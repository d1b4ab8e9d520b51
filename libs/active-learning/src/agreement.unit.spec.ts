import reference from './fixtures/agreement.json';
import { bootstrapInterval, krippendorffAlphaOrdinal, quadraticWeightedKappa } from './agreement';

describe('agreement against reference implementations (krippendorff, scikit-learn)', () => {
  it.each(reference.alpha.map((c, i) => [i, c] as const))('ordinal Krippendorff α, case %i', (_i, c) => {
    expect(krippendorffAlphaOrdinal(c.units as (number | null)[][])).toBeCloseTo(c.alphaOrdinal, 10);
  });

  it.each(reference.kappa.map((c, i) => [i, c] as const))('quadratic-weighted κ, case %i', (_i, c) => {
    expect(quadraticWeightedKappa(c.a, c.b)).toBeCloseTo(c.kappaQuadratic, 10);
  });

  it('perfect agreement is 1, systematic opposition is negative', () => {
    expect(quadraticWeightedKappa([1, 2, 3, 2], [1, 2, 3, 2])).toBe(1);
    expect(quadraticWeightedKappa([1, 1, 3, 3], [3, 3, 1, 1])).toBeLessThan(0);
    expect(krippendorffAlphaOrdinal([[1, 1], [2, 2], [3, 3]])).toBe(1);
  });

  it('refuses values outside the categories and unequal lengths', () => {
    expect(() => quadraticWeightedKappa([1, 4], [1, 2])).toThrow(/not a category/);
    expect(() => quadraticWeightedKappa([1], [1, 2])).toThrow(/differ in length/);
  });

  it('bootstrap interval contains the estimate and narrows with more data', () => {
    const c = reference.alpha[1];
    const units = c.units as (number | null)[][];
    const small = bootstrapInterval(units.slice(0, 15), krippendorffAlphaOrdinal, { seed: 3, iterations: 400 });
    const large = bootstrapInterval(units, krippendorffAlphaOrdinal, { seed: 3, iterations: 400 });
    expect(large.low).toBeLessThanOrEqual(large.estimate);
    expect(large.high).toBeGreaterThanOrEqual(large.estimate);
    expect(large.high - large.low).toBeLessThan(small.high - small.low);
    expect(bootstrapInterval(units, krippendorffAlphaOrdinal, { seed: 3, iterations: 400 })).toEqual(large);
  });
});
