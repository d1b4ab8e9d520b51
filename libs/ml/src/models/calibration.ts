/**
 * Expected calibration error: predictions in [0, 1] split into equal-width bins;
 * Σ_b (n_b / N)·|mean prediction_b − mean target_b|. Targets may be 0/1 labels or
 * continuous normalised ratings.
 */
export function expectedCalibrationError(predictions: ArrayLike<number>, targets: ArrayLike<number>, bins = 10): number {
  if (predictions.length !== targets.length) throw Object.assign(new Error(`expectedCalibrationError: ${predictions.length} predictions but ${targets.length} targets`), { code: 'INVALID_INPUT' });
  if (predictions.length === 0) return 0;
  const sumP = new Float64Array(bins);
  const sumT = new Float64Array(bins);
  const count = new Float64Array(bins);
  for (let i = 0; i < predictions.length; i++) {
    const p = Math.min(1, Math.max(0, predictions[i]));
    const b = Math.min(bins - 1, Math.floor(p * bins));
    sumP[b] += p;
    sumT[b] += targets[i];
    count[b]++;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b] > 0) ece += (count[b] / predictions.length) * Math.abs(sumP[b] / count[b] - sumT[b] / count[b]);
  return ece;
}

/** Spearman rank correlation (average ranks for ties). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const rank = (v: ArrayLike<number>) => {
    const idx = Array.from({ length: v.length }, (_, i) => i).sort((i, j) => v[i] - v[j]);
    const r = new Float64Array(v.length);
    for (let i = 0; i < idx.length; ) {
      let j = i;
      while (j + 1 < idx.length && v[idx[j + 1]] === v[idx[i]]) j++;
      for (let k = i; k <= j; k++) r[idx[k]] = (i + j) / 2;
      i = j + 1;
    }
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const n = ra.length;
  const ma = ra.reduce((s, x) => s + x, 0) / n;
  const mb = rb.reduce((s, x) => s + x, 0) / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (ra[i] - ma) * (rb[i] - mb);
    da += (ra[i] - ma) ** 2;
    db += (rb[i] - mb) ** 2;
  }
  return da === 0 || db === 0 ? 0 : num / Math.sqrt(da * db);
}

/** Area under the ROC curve of scores for positives (label 1) against negatives (label 0). */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let pos = 0;
  let neg = 0;
  let wins = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] !== 1) continue;
    pos++;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j] !== 0) continue;
      if (scores[i] > scores[j]) wins++;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  for (let j = 0; j < labels.length; j++) if (labels[j] === 0) neg++;
  if (pos === 0 || neg === 0) throw Object.assign(new Error('rocAuc: needs at least one positive and one negative'), { code: 'INVALID_INPUT' });
  return wins / (pos * neg);
}
