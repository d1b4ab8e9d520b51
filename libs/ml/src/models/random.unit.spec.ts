import { Rng, standardNormals } from './random';

// The seeded draws everything decided in JavaScript relies on.

describe('Rng', () => {
  it('repeats its sequence for a seed and resumes from a snapshot', () => {
    const a = new Rng(5);
    const b = new Rng(5);
    const first = [a.next(), a.next()];
    expect([b.next(), b.next()]).toEqual(first);
    const state = a.snapshot();
    const next = a.next();
    b.restore(state);
    expect(b.next()).toBe(next);
  });

  it('refuses a seed that is not a number and a state out of range', () => {
    expect(() => new Rng(Number.NaN)).toThrow(/seed must be a finite number/);
    expect(() => new Rng(1).restore(-1)).toThrow(/32-bit unsigned integer/);
  });
});

describe('standardNormals', () => {
  it('gives the same values for a seed and others for another seed', () => {
    expect(standardNormals(9, 3)).toEqual(standardNormals(9, 3));
    expect(standardNormals(9, 3)).not.toEqual(standardNormals(9, 4));
  });

  it('fills odd sizes, every value finite', () => {
    for (const size of [0, 1, 7]) {
      const values = standardNormals(size, 1);
      expect(values).toHaveLength(size);
      expect(values.every(Number.isFinite)).toBe(true);
    }
  });

  it('is standard normal: mean 0, variance 1, the 68–95 rule and symmetric tails', () => {
    const n = 200_000;
    const values = standardNormals(n, 42);
    const mean = values.reduce((s, v) => s + v, 0) / n;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    const within = (k: number) => values.filter((v) => Math.abs(v) < k).length / n;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.01);
    expect(Math.abs(within(1) - 0.6827)).toBeLessThan(0.005);
    expect(Math.abs(within(2) - 0.9545)).toBeLessThan(0.003);
    const above = values.filter((v) => v > 2).length;
    const below = values.filter((v) => v < -2).length;
    expect(Math.abs(above - below) / (above + below)).toBeLessThan(0.05);
    // Neighbours (the two halves of a Box–Muller pair) are uncorrelated.
    let cross = 0;
    for (let i = 0; i + 1 < n; i += 2) cross += values[i] * values[i + 1];
    expect(Math.abs(cross / (n / 2))).toBeLessThan(0.01);
  });
});
