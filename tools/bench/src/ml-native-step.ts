import type { MatMulCall } from '@forge/ml';
import { measureNativeProducts, type NativeProduct } from '@forge/native-sgemm';

// Native equivalent of a tfjs training step: every matrix product the step ran (same shapes,
// transposes and batching, read from a profiled step) timed with OpenBLAS on 1 and on 2 threads,
// the faster of the two per product, summed. It leaves out everything that is not a matrix
// product, so it flatters native: the ratio is a lower bound of how close the step is to a
// native framework on the same two cores.

/** A tfjs product signature as the native program runs it (a shared right operand folds into rows, as BLAS frameworks do). */
export function nativeProductOf(call: MatMulCall): NativeProduct {
  const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
  const { a, b, transposeA, transposeB } = call;
  const batchA = size(a.slice(0, -2));
  const batchB = size(b.slice(0, -2));
  const m = transposeA ? a[a.length - 1] : a[a.length - 2];
  const k = transposeA ? a[a.length - 2] : a[a.length - 1];
  const n = transposeB ? b[b.length - 2] : b[b.length - 1];
  if (batchB === 1 && !transposeA) return { batch: 1, m: batchA * m, n, k, transposeA, transposeB, batchedA: true, batchedB: true };
  return { batch: Math.max(batchA, batchB), m, n, k, transposeA, transposeB, batchedA: batchA > 1, batchedB: batchB > 1 };
}

export function nativeStep(calls: MatMulCall[]): { ms: number; ms1: number; ms2: number } {
  const products = calls.map(nativeProductOf);
  const one = measureNativeProducts(products, 1, { runs: 3, minMs: 10 });
  const two = measureNativeProducts(products, 2, { runs: 3, minMs: 10 });
  let ms = 0;
  let ms1 = 0;
  let ms2 = 0;
  calls.forEach((c, i) => {
    ms += c.calls * Math.min(one[i], two[i]);
    ms1 += c.calls * one[i];
    ms2 += c.calls * two[i];
  });
  return { ms, ms1, ms2 };
}
