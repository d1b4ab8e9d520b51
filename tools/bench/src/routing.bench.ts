import {
  compareConsensus,
  DEFAULT_SIMULATION,
  formatCurve,
  meanSpearmanAfterWarmStart,
  MIXED_PANEL,
  ratingsToReach,
  renderPool,
  renderWorld,
  simulateRouting,
  spearmanAt,
  type LearningCurve,
  type SimulationConfig,
} from '@forge/al-simulation';
import { initBackend } from '@forge/ml';
import { Benchmark, BenchRow, median } from './harness';

// Active learning in simulation: the loop's routing (ensemble uncertainty + k-center diversity) against
// random routing, on phantom pools with a generator-like quality mix rated by the simulated panel.
// Each seed is one world (pool, held-out set, panel, initial weights) both strategies share, so ratios
// are taken pair by pair and their median reported. Plus Dawid–Skene against majority vote on a panel
// whose skills differ widely.

const AL = 'uncertainty+diversity' as const;

/** A row whose ratio is the median of per-seed ratios (value and baseline are medians too). */
function paired(name: string, unit: string, ours: number[], base: number[]): BenchRow {
  const ratios = ours.map((v, i) => (base[i] === 0 ? NaN : v / base[i])).filter((r) => Number.isFinite(r));
  return { name, value: median(ours), unit, baseline: median(base), ratio: ratios.length ? median(ratios) : undefined };
}

function routingRows(config: SimulationConfig, curves: { random: LearningCurve; al: LearningCurve }[]): BenchRow[] {
  const rows: BenchRow[] = [];
  // Not reaching the target within the budget counts as needing one more round than the budget had.
  const budget = curves[0].random.points[curves[0].random.points.length - 1].ratings;
  const censored = budget + config.imagesPerRound * config.ratersPerImage;
  const target = config.targetSpearman;
  const toTarget = (c: LearningCurve) => ratingsToReach(c, target) ?? censored;
  rows.push(paired(`ratings to held-out ρ ≥ ${target} (not reached = ${censored})`, 'ratings', curves.map((c) => toTarget(c.al)), curves.map((c) => toTarget(c.random))));
  const reached = (key: 'al' | 'random') => curves.filter((c) => ratingsToReach(c[key], target) !== null).length;
  rows.push({ name: `seeds reaching ρ ≥ ${target} of ${curves.length}`, value: reached('al'), unit: 'seeds', baseline: reached('random'), ratio: reached('random') ? reached('al') / reached('random') : undefined });
  const points = curves[0].random.points.map((p) => p.ratings);
  for (const at of [points[Math.floor(points.length / 3)], points[Math.floor((2 * points.length) / 3)], points[points.length - 1]]) {
    rows.push(paired(`held-out Spearman at ${at} ratings`, 'ρ', curves.map((c) => spearmanAt(c.al, at)), curves.map((c) => spearmanAt(c.random, at))));
  }
  rows.push(paired('mean held-out Spearman over the rounds', 'ρ', curves.map((c) => meanSpearmanAfterWarmStart(c.al)), curves.map((c) => meanSpearmanAfterWarmStart(c.random))));
  return rows;
}

export const benchmark: Benchmark = {
  name: 'routing',
  description: 'active learning vs random routing (ratings to the target Spearman, Spearman at fixed budgets) and Dawid–Skene vs majority vote, on phantoms rated by the simulated panel',
  async run({ runs, quick, log }): Promise<BenchRow[]> {
    await initBackend({ threads: 1, log });
    const config: SimulationConfig = quick ? { ...DEFAULT_SIMULATION, rounds: 3 } : DEFAULT_SIMULATION;
    const seeds = Array.from({ length: Math.max(runs, 1) }, (_, i) => i + 1);
    const curves: { random: LearningCurve; al: LearningCurve }[] = [];
    for (const seed of seeds) {
      const world = renderWorld(config, seed);
      const random = simulateRouting(config, world, 'random');
      const al = simulateRouting(config, world, AL);
      log(`seed ${seed} random: ${formatCurve(random.points)}  rated poor/usable/good ${random.ratedByQuality.join('/')}`);
      log(`seed ${seed} ${AL}: ${formatCurve(al.points)}  rated poor/usable/good ${al.ratedByQuality.join('/')}`);
      curves.push({ random, al });
    }
    const rows = routingRows(config, curves);

    const ds: number[] = [];
    const mv: number[] = [];
    for (const seed of seeds) {
      const pool = renderPool({ count: quick ? 150 : 300, size: 16, seed: 7000 + seed, mix: { good: 1, usable: 1, poor: 1 } });
      const c = compareConsensus({ pool, raters: MIXED_PANEL, ratersPerImage: 3, seed });
      log(`seed ${seed} consensus accuracy: Dawid–Skene ${c.dawidSkene.toFixed(3)}, majority ${c.majority.toFixed(3)}`);
      ds.push(c.dawidSkene);
      mv.push(c.majority);
    }
    rows.push(paired(`consensus accuracy vs true quality, Dawid–Skene (baseline majority), ${MIXED_PANEL.length} raters of differing skill, 3 per image`, 'share', ds, mv));
    return rows;
  },
};
