import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@forge/ml';
import { renderPool } from './pool';
import { DEFAULT_SIMULATION, renderWorld, simulateRouting, validateSimulationConfig, type LearningCurve } from './simulation';
import { formatCurve, meanSpearmanAfterWarmStart, ratingsToReach } from './summary';

// Same budget, same worlds (pool, held-out set, panel, warm start, initial weights): the loop's routing
// (ensemble uncertainty + core-set diversity) against random routing. Seeds 1 and 2 are the first
// two; `npx forge bench routing` runs more. ~70 s on one thread.

beforeAll(() => initBackend({ threads: 1, log: () => undefined }));

describe('active learning in simulation', () => {
  it('uncertainty+diversity routing gets the selector further than random routing with the same ratings', () => {
    const config = DEFAULT_SIMULATION;
    const target = config.targetSpearman;
    const budgetPlusRound = config.warmStartImages + (config.rounds + 1) * config.imagesPerRound;
    const lines: string[] = [];
    const pairs: { random: LearningCurve; al: LearningCurve }[] = [];
    const tensorsBefore = tf.memory().numTensors;
    for (const seed of [1, 2]) {
      const world = renderWorld(config, seed);
      const random = simulateRouting(config, world, 'random');
      const al = simulateRouting(config, world, 'uncertainty+diversity');
      pairs.push({ random, al });
      for (const c of [random, al]) {
        lines.push(
          `seed ${seed} ${c.strategy.padEnd(21)} ratings:ρ ${formatCurve(c.points)} | mean ρ ${meanSpearmanAfterWarmStart(c).toFixed(3)}, ` +
            `ratings to ρ≥${target}: ${ratingsToReach(c, target) ?? 'not reached'}, rated poor/usable/good ${c.ratedByQuality.join('/')}`,
        );
      }
    }
    process.stdout.write(lines.join('\n') + '\n');
    expect(tf.memory().numTensors).toBe(tensorsBefore);

    // Same ratings, same points: the warm start is shared, the curves part after it.
    for (const { random, al } of pairs) {
      expect(al.points.map((p) => p.ratings)).toEqual(random.points.map((p) => p.ratings));
      expect(al.points[0].spearman).toBe(random.points[0].spearman);
      // The router finds the images that are not good: more of them rated than random draws.
      expect(al.ratedByQuality[0] + al.ratedByQuality[1]).toBeGreaterThan(random.ratedByQuality[0] + random.ratedByQuality[1]);
    }
    // Higher held-out Spearman at equal budgets, over the rounds and the seeds.
    const total = (key: 'random' | 'al') => pairs.reduce((s, p) => s + meanSpearmanAfterWarmStart(p[key]), 0);
    expect(total('al')).toBeGreaterThan(total('random'));
    // And fewer ratings to the target (not reached within the budget counts as one round more).
    const toTarget = (key: 'random' | 'al') => pairs.reduce((s, p) => s + (ratingsToReach(p[key], target) ?? budgetPlusRound), 0);
    process.stdout.write(`ratings to ρ≥${target} summed over seeds: ${toTarget('al')} routed vs ${toTarget('random')} random; mean ρ summed: ${total('al').toFixed(3)} vs ${total('random').toFixed(3)}\n`);
    expect(toTarget('al')).toBeLessThan(toTarget('random'));
  }, 180_000);

  it('refuses configurations and pools it cannot run', () => {
    expect(() => validateSimulationConfig({ ...DEFAULT_SIMULATION, poolSize: 100 })).toThrow(/208 images would be rated but the pool has 100/);
    expect(() => validateSimulationConfig({ ...DEFAULT_SIMULATION, imagesPerRound: 0 })).toThrow(/imagesPerRound must be a positive integer/);
    expect(() => renderPool({ count: 4, size: 24, seed: 1, mix: DEFAULT_SIMULATION.mix })).toThrow(/size must divide 32/);
    expect(() => renderPool({ count: 4, size: 16, seed: 1, mix: { good: 0, usable: 0, poor: 0 } })).toThrow(/not all 0/);
  });
});
