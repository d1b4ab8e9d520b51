import type { CurvePoint, LearningCurve } from './simulation';

/** Ratings spent when the held-out Spearman first reached `target`; null if it never did within the budget. */
export function ratingsToReach(curve: LearningCurve, target: number): number | null {
  return curve.points.find((p) => p.spearman >= target)?.ratings ?? null;
}

/** Held-out Spearman after exactly `ratings` ratings (a point every strategy measures at). */
export function spearmanAt(curve: LearningCurve, ratings: number): number {
  const point = curve.points.find((p) => p.ratings === ratings);
  if (!point) throw new RangeError(`no measurement at ${ratings} ratings (measured at ${curve.points.map((p) => p.ratings).join(', ')})`);
  return point.spearman;
}

/** Mean held-out Spearman over the rounds after the warm start: the area under the learning curve per round. */
export function meanSpearmanAfterWarmStart(curve: LearningCurve): number {
  const after = curve.points.slice(1);
  if (after.length === 0) throw new RangeError('the curve has no rounds after the warm start');
  return after.reduce((s, p) => s + p.spearman, 0) / after.length;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One line per point: "ratings  ρ", for printing a learning curve. */
export function formatCurve(points: readonly CurvePoint[]): string {
  return points.map((p) => `${p.ratings}:${p.spearman.toFixed(3)}`).join('  ');
}
