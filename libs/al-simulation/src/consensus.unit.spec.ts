import { compareConsensus } from './consensus';
import { renderPool } from './pool';
import { MIXED_PANEL } from './ratings';

// The phantom panel's raters differ in skill (0.25–0.9) and lean both ways; every image has a known
// true quality. Dawid–Skene learns each rater's confusion matrix, majority vote counts heads.

describe('consensus on the simulated panel', () => {
  it('Dawid–Skene recovers the true quality better than majority vote when raters differ in skill', () => {
    const lines: string[] = [];
    for (const seed of [1, 2, 3]) {
      const pool = renderPool({ count: 200, size: 16, seed: 7000 + seed, mix: { good: 1, usable: 1, poor: 1 } });
      for (const ratersPerImage of [3, 5]) {
        const c = compareConsensus({ pool, raters: MIXED_PANEL, ratersPerImage, seed });
        lines.push(`seed ${seed}, ${ratersPerImage} raters/image: Dawid–Skene ${c.dawidSkene.toFixed(3)} vs majority ${c.majority.toFixed(3)}; reliability ${c.raters.map((r) => `${r.id} ${r.reliability.toFixed(2)}`).join(', ')}`);
        expect(c.ratings).toBe(200 * ratersPerImage);
        expect(c.dawidSkene).toBeGreaterThan(c.majority);
        // The two senior graders come out more reliable than every grader and trainee.
        const [a, b, ...rest] = c.raters.map((r) => r.reliability);
        expect(Math.min(a, b)).toBeGreaterThan(Math.max(...rest));
      }
    }
    process.stdout.write(lines.join('\n') + '\n');
  });

  it('refuses more raters per image than the panel has', () => {
    const pool = renderPool({ count: 2, size: 16, seed: 1, mix: { good: 1, usable: 0, poor: 0 } });
    expect(() => compareConsensus({ pool, raters: MIXED_PANEL, ratersPerImage: 6, seed: 1 })).toThrow(/ratersPerImage/);
  });
});
