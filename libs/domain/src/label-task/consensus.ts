import type { Consensus } from '../events';

export type RatingPair = { quality: number; alignment: number };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The median on each axis: robust to one careless rater, and stays on the 1..3 scale. */
export function medianConsensus(ratings: RatingPair[]): Consensus {
  return {
    quality: median(ratings.map((r) => r.quality)),
    alignment: median(ratings.map((r) => r.alignment)),
    raters: ratings.length,
    method: 'median',
  };
}

/** Raters disagree when, on either axis, one said 1 and another 3 (adjacent grades are normal noise). */
export function ratingsDisagree(ratings: RatingPair[]): boolean {
  const spread = (values: number[]) => Math.max(...values) - Math.min(...values);
  return ratings.length > 1 && (spread(ratings.map((r) => r.quality)) >= 2 || spread(ratings.map((r) => r.alignment)) >= 2);
}
