import { performance } from 'node:perf_hooks';

// Timing helpers for benchmarks of kernels and training steps. tfjs on wasm and cpu runs ops
// synchronously, so wall time around the call is the op's time.

export interface StepTiming {
  /** Median wall time of one call, in milliseconds. */
  medianMs: number;
  runs: number;
}

/** Calls `step` `warmup` times, then `runs` times, and returns the median duration. */
export async function timeStep(step: () => unknown | Promise<unknown>, options: { runs?: number; warmup?: number } = {}): Promise<StepTiming> {
  const runs = options.runs ?? 5;
  const warmup = options.warmup ?? 1;
  for (let i = 0; i < warmup; i++) await step();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  return { medianMs: times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2, runs };
}

/** Floating-point operations of a (batched) matrix product [batch, M, K]·[batch, K, N]. */
export function matMulFlops(batch: number, m: number, n: number, k: number): number {
  return 2 * batch * m * n * k;
}

/** GFLOP/s from an operation count and a duration in milliseconds. */
export function gflops(flops: number, ms: number): number {
  return flops / (ms * 1e6);
}
