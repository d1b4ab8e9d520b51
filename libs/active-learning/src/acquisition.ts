// Acquisition scores: how much a rating of this image would teach the models. Higher = ask first.

/** Spread of ensemble members' (or MC-dropout passes') scores: population standard deviation. */
export function ensembleDisagreement(samples: readonly number[]): number {
  if (samples.length < 2) return 0;
  const mean = samples.reduce((s, v) => s + v, 0) / samples.length;
  return Math.sqrt(samples.reduce((s, v) => s + (v - mean) * (v - mean), 0) / samples.length);
}

function binaryEntropy(p: number): number {
  const q = Math.min(1 - 1e-12, Math.max(1e-12, p));
  return -(q * Math.log(q) + (1 - q) * Math.log(1 - q));
}

/**
 * BALD (Houlsby et al. 2011) for a score read as P(good): mutual information between the label and
 * the model parameters, estimated from MC-dropout passes = H(mean p) − mean H(p).
 */
export function bald(samples: readonly number[]): number {
  if (samples.length === 0) return 0;
  const mean = samples.reduce((s, v) => s + v, 0) / samples.length;
  const expected = samples.reduce((s, v) => s + binaryEntropy(v), 0) / samples.length;
  return Math.max(0, binaryEntropy(mean) - expected);
}

/** 1 at the decision threshold, falling to 0 at the far end of [0,1]. */
export function thresholdCloseness(score: number, threshold = 0.5): number {
  const span = Math.max(threshold, 1 - threshold);
  return 1 - Math.min(1, Math.abs(score - threshold) / span);
}

/** Ranks scaled to [0,1] (ties share the mean rank), so measures on different scales can be averaged. */
export function normalisedRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    const r = (i + j) / 2;
    for (let t = i; t <= j; t++) ranks[order[t][1]] = r;
    i = j + 1;
  }
  const max = Math.max(1, values.length - 1);
  return ranks.map((r) => r / max);
}
