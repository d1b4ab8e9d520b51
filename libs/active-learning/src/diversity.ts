/** Squared Euclidean distance. */
function dist2(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

/**
 * Greedy k-center (core-set, Sener & Savarese 2018): starting from `first`, repeatedly take the point
 * farthest from everything chosen so far. Returns indices in the order chosen.
 */
export function kCenterGreedy(features: readonly (readonly number[])[], k: number, first = 0, alreadyChosen: readonly number[] = []): number[] {
  const n = features.length;
  if (n === 0 || k <= 0) return [];
  const nearest = new Array<number>(n).fill(Infinity);
  const chosen: number[] = [];
  const take = (idx: number) => {
    for (let i = 0; i < n; i++) nearest[i] = Math.min(nearest[i], dist2(features[i], features[idx]));
  };
  for (const idx of alreadyChosen) take(idx);
  let next = alreadyChosen.length ? argmaxOf(nearest) : first;
  while (chosen.length < Math.min(k, n)) {
    chosen.push(next);
    take(next);
    next = argmaxOf(nearest);
    if (nearest[next] === 0) break;
  }
  return chosen;
}

function argmaxOf(v: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}
