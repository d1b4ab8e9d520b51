import { FeatureRows } from './frechet';
import { mean, populationStd } from './stats';

/**
 * Inception Score from class probabilities p(y|x) (one row per image, rows sum to 1):
 * exp(E_x KL(p(y|x) ‖ p(y))) over `splits` consecutive equal parts, mean and std across parts.
 * Name it after the classifier that produced the probabilities ("IS-fundus").
 */
export function inceptionScore(probabilities: FeatureRows, splits = 10): { mean: number; std: number; scores: number[] } {
  const n = probabilities.length;
  if (n === 0) throw new RangeError('inception score of no images');
  if (!Number.isInteger(splits) || splits < 1 || splits > n) throw new RangeError(`splits must be an integer in 1..${n}, got ${splits}`);
  const classes = probabilities[0].length;
  for (let i = 0; i < n; i++) {
    const row = probabilities[i];
    if (row.length !== classes) throw new RangeError(`probability row ${i} has ${row.length} classes, row 0 has ${classes}`);
    let s = 0;
    for (let c = 0; c < classes; c++) {
      if (!(row[c] >= 0)) throw new RangeError(`probability row ${i}, class ${c} is not a non-negative number`);
      s += row[c];
    }
    if (Math.abs(s - 1) > 1e-3) throw new RangeError(`probability row ${i} sums to ${s}, not 1`);
  }
  const part = Math.floor(n / splits);
  const scores: number[] = [];
  for (let s = 0; s < splits; s++) {
    const rows = Array.from({ length: part }, (_, i) => probabilities[s * part + i]);
    const marginal = new Float64Array(classes);
    for (const row of rows) for (let c = 0; c < classes; c++) marginal[c] += row[c] / part;
    let klSum = 0;
    for (const row of rows) {
      for (let c = 0; c < classes; c++) if (row[c] > 0) klSum += row[c] * (Math.log(row[c]) - Math.log(marginal[c]));
    }
    scores.push(Math.exp(klSum / part));
  }
  return { mean: mean(scores), std: populationStd(scores), scores };
}
