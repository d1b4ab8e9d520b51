import { seededRandom } from './random';

/** Ordinal ratings; `null` where a rater did not rate that unit. */
export type RatingMatrix = (number | null)[][];

/**
 * Quadratic-weighted Cohen's κ between two raters over the same items, categories given in order.
 * 1 = perfect agreement, 0 = chance, < 0 = worse than chance.
 */
export function quadraticWeightedKappa(a: readonly number[], b: readonly number[], categories: readonly number[] = [1, 2, 3]): number {
  if (a.length !== b.length) throw new RangeError(`kappa: rater arrays differ in length (${a.length} vs ${b.length})`);
  if (a.length === 0) throw new RangeError('kappa: no items');
  const k = categories.length;
  const index = new Map(categories.map((c, i) => [c, i]));
  const observed = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < a.length; i++) {
    const x = index.get(a[i]);
    const y = index.get(b[i]);
    if (x === undefined || y === undefined) throw new RangeError(`kappa: rating ${x === undefined ? a[i] : b[i]} is not a category`);
    observed[x][y]++;
  }
  const rowSums = observed.map((r) => r.reduce((s, v) => s + v, 0));
  const colSums = categories.map((_, j) => observed.reduce((s, r) => s + r[j], 0));
  const n = a.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const w = ((i - j) * (i - j)) / ((k - 1) * (k - 1));
      num += w * observed[i][j];
      den += (w * rowSums[i] * colSums[j]) / n;
    }
  }
  return den === 0 ? 1 : 1 - num / den;
}

/**
 * Krippendorff's α with the ordinal metric, for units × raters with missing values.
 * Units with fewer than two ratings do not count (they carry no pairable values).
 */
export function krippendorffAlphaOrdinal(matrix: RatingMatrix): number {
  const values = [...new Set(matrix.flat().filter((v): v is number => v !== null))].sort((x, y) => x - y);
  if (values.length < 2) return 1;
  const index = new Map(values.map((v, i) => [v, i]));
  const k = values.length;
  // Coincidence matrix: every ordered pair of values within a unit, weighted 1/(m_u − 1).
  const o = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const unit of matrix) {
    const present = unit.filter((v): v is number => v !== null);
    const m = present.length;
    if (m < 2) continue;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        if (i !== j) o[index.get(present[i])!][index.get(present[j])!] += 1 / (m - 1);
      }
    }
  }
  const nc = o.map((row) => row.reduce((s, v) => s + v, 0));
  const n = nc.reduce((s, v) => s + v, 0);
  if (n <= 1) return 1;
  // Ordinal distance: (sum of marginals from c to k, minus half of both ends)².
  const delta2 = (c: number, d: number): number => {
    const [lo, hi] = c <= d ? [c, d] : [d, c];
    let s = 0;
    for (let g = lo; g <= hi; g++) s += nc[g];
    s -= (nc[lo] + nc[hi]) / 2;
    return s * s;
  };
  let observed = 0;
  let expected = 0;
  for (let c = 0; c < k; c++) {
    for (let d = 0; d < k; d++) {
      const dd = delta2(c, d);
      observed += o[c][d] * dd;
      expected += nc[c] * nc[d] * dd;
    }
  }
  if (expected === 0) return 1;
  return 1 - ((n - 1) * observed) / expected;
}

export interface Interval {
  estimate: number;
  low: number;
  high: number;
  level: number;
}

/** Percentile bootstrap over units (rows), seeded. */
export function bootstrapInterval<T>(
  units: readonly T[],
  statistic: (sample: T[]) => number,
  options: { iterations?: number; level?: number; seed?: number } = {},
): Interval {
  const iterations = options.iterations ?? 1000;
  const level = options.level ?? 0.95;
  const random = seededRandom(options.seed ?? 1);
  const estimate = statistic([...units]);
  const stats: number[] = [];
  for (let it = 0; it < iterations; it++) {
    const sample = Array.from({ length: units.length }, () => units[Math.floor(random() * units.length)]);
    const s = statistic(sample);
    if (Number.isFinite(s)) stats.push(s);
  }
  stats.sort((x, y) => x - y);
  const q = (p: number) => stats[Math.min(stats.length - 1, Math.max(0, Math.floor(p * stats.length)))];
  return { estimate, low: q((1 - level) / 2), high: q(1 - (1 - level) / 2), level };
}
