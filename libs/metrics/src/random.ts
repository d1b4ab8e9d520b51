/** Seeded uniform generator (mulberry32): the same stream in the Python reference script. */
export interface SeededRandom {
  /** Next unsigned 32-bit integer. */
  nextU32(): number;
  /** Uniform in [0, 1): nextU32() / 2^32. */
  next(): number;
}

export function seededRandom(seed: number): SeededRandom {
  let a = seed | 0;
  const nextU32 = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t = (t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  return { nextU32, next: () => nextU32() / 4294967296 };
}

/** k distinct indices from 0..n-1 (partial Fisher–Yates), in draw order. */
export function sampleWithoutReplacement(n: number, k: number, rng: SeededRandom): number[] {
  if (k > n) throw new RangeError(`cannot draw ${k} distinct indices from ${n}`);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rng.next() * (n - i));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx.slice(0, k);
}
