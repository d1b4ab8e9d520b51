/** One rating of one item by one rater, on an ordinal scale given by `categories`. */
export interface Label {
  item: string;
  rater: string;
  value: number;
}

export interface ConsensusResult {
  /** Most probable true category per item. */
  labels: Map<string, number>;
  /** Posterior over categories per item (same order as `categories`). */
  posteriors: Map<string, number[]>;
  /** Per rater: probability of giving the true category, averaged over the class prior (0..1). */
  reliability: Map<string, number>;
  /** Per rater: confusion[true][given]. */
  confusion: Map<string, number[][]>;
  prior: number[];
  iterations: number;
}

/** Majority vote with ties broken towards the median of the tied categories' order (lower wins). */
export function majorityVote(labels: readonly Label[], categories: readonly number[] = [1, 2, 3]): Map<string, number> {
  const counts = new Map<string, number[]>();
  const index = categoryIndex(categories);
  for (const l of labels) {
    const c = counts.get(l.item) ?? new Array<number>(categories.length).fill(0);
    c[index(l.value)]++;
    counts.set(l.item, c);
  }
  const out = new Map<string, number>();
  for (const [item, c] of counts) out.set(item, categories[argmax(c)]);
  return out;
}

/**
 * Dawid & Skene (1979): each rater has a confusion matrix; EM alternates between the items'
 * posterior true class and the raters' matrices. Initialised from vote shares; additive smoothing
 * keeps a rater with few ratings from getting a degenerate matrix.
 */
export function dawidSkene(
  labels: readonly Label[],
  options: { categories?: readonly number[]; maxIterations?: number; tolerance?: number; smoothing?: number } = {},
): ConsensusResult {
  const categories = options.categories ?? [1, 2, 3];
  const k = categories.length;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-6;
  const smoothing = options.smoothing ?? 0.01;
  const index = categoryIndex(categories);

  const items = [...new Set(labels.map((l) => l.item))];
  const raters = [...new Set(labels.map((l) => l.rater))];
  const itemIdx = new Map(items.map((it, i) => [it, i]));
  const raterIdx = new Map(raters.map((r, i) => [r, i]));
  const obs = labels.map((l) => ({ i: itemIdx.get(l.item)!, r: raterIdx.get(l.rater)!, c: index(l.value) }));

  // T[i][c]: posterior that item i's true class is c. Start from vote shares.
  let T = items.map(() => new Array<number>(k).fill(0));
  for (const o of obs) T[o.i][o.c] += 1;
  T = T.map(normalise);

  let prior = new Array<number>(k).fill(1 / k);
  let pi: number[][][] = raters.map(() => identityish(k));
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    // M step: class prior and each rater's confusion matrix from the current posteriors.
    prior = normalise(T.reduce((acc, t) => acc.map((v, c) => v + t[c]), new Array<number>(k).fill(0)));
    pi = raters.map(() => Array.from({ length: k }, () => new Array<number>(k).fill(smoothing)));
    for (const o of obs) for (let c = 0; c < k; c++) pi[o.r][c][o.c] += T[o.i][c];
    pi = pi.map((m) => m.map(normalise));
    // E step: posterior of each item's true class (in log space for stability).
    const logT = items.map(() => prior.map((p) => Math.log(Math.max(p, 1e-12))));
    for (const o of obs) for (let c = 0; c < k; c++) logT[o.i][c] += Math.log(pi[o.r][c][o.c]);
    const next = logT.map(softmax);
    const change = Math.max(...next.map((t, i) => Math.max(...t.map((v, c) => Math.abs(v - T[i][c])))));
    T = next;
    if (change < tolerance) {
      iterations++;
      break;
    }
  }

  const result: ConsensusResult = {
    labels: new Map(),
    posteriors: new Map(),
    reliability: new Map(),
    confusion: new Map(),
    prior,
    iterations,
  };
  items.forEach((it, i) => {
    result.posteriors.set(it, T[i]);
    result.labels.set(it, categories[argmax(T[i])]);
  });
  raters.forEach((r, ri) => {
    result.confusion.set(r, pi[ri]);
    result.reliability.set(r, prior.reduce((s, p, c) => s + p * pi[ri][c][c], 0));
  });
  return result;
}

function categoryIndex(categories: readonly number[]): (v: number) => number {
  const map = new Map(categories.map((c, i) => [c, i]));
  return (v) => {
    const i = map.get(v);
    if (i === undefined) throw new RangeError(`rating ${v} is not one of the categories ${categories.join(', ')}`);
    return i;
  };
}

function normalise(v: number[]): number[] {
  const s = v.reduce((a, b) => a + b, 0);
  return s === 0 ? v.map(() => 1 / v.length) : v.map((x) => x / s);
}

function softmax(v: number[]): number[] {
  const m = Math.max(...v);
  return normalise(v.map((x) => Math.exp(x - m)));
}

function argmax(v: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

function identityish(k: number): number[][] {
  return Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? 0.7 : 0.3 / (k - 1))));
}
