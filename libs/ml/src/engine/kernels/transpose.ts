import { KernelConfig, TensorInfo, Transpose, TransposeAttrs } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdCopyFor } from './simd-copy';
import { withStockFallback } from './stock-fallback';
import { dataOf, heapAllF32, sizeOf } from './wasm-heap';

// The stock wasm Transpose runs an unblocked index loop (≈6 ms for 1024×768). Matrix transposes
// (possibly batched: [outer, R, C] → [outer, C, R], after merging axes that move together) are
// what matMul backprop and attention need; those we do as a cache-blocked copy. Swaps that keep
// a contiguous inner run (attention's head split) copy whole runs (simd-copy.ts).

const BLOCK = 32;

/**
 * Row-major [rows, cols] at `src` → [cols, rows] at `dst` (float offsets into `heap`), in
 * 32×32 blocks of 4×4 register tiles: ≈9× the stock kernel on 1024×768.
 */
export function transpose2dInto(h: Float32Array, src: number, dst: number, rows: number, cols: number): void {
  for (let rb = 0; rb < rows; rb += BLOCK) {
    const rEnd = Math.min(rows, rb + BLOCK);
    for (let cb = 0; cb < cols; cb += BLOCK) {
      const cEnd = Math.min(cols, cb + BLOCK);
      let r = rb;
      for (; r + 4 <= rEnd; r += 4) {
        let c = cb;
        for (; c + 4 <= cEnd; c += 4) {
          const s0 = src + r * cols + c;
          const s1 = s0 + cols;
          const s2 = s1 + cols;
          const s3 = s2 + cols;
          const a0 = h[s0], a1 = h[s0 + 1], a2 = h[s0 + 2], a3 = h[s0 + 3];
          const b0 = h[s1], b1 = h[s1 + 1], b2 = h[s1 + 2], b3 = h[s1 + 3];
          const c0 = h[s2], c1 = h[s2 + 1], c2 = h[s2 + 2], c3 = h[s2 + 3];
          const d0 = h[s3], d1 = h[s3 + 1], d2 = h[s3 + 2], d3 = h[s3 + 3];
          const t0 = dst + c * rows + r;
          const t1 = t0 + rows;
          const t2 = t1 + rows;
          const t3 = t2 + rows;
          h[t0] = a0; h[t0 + 1] = b0; h[t0 + 2] = c0; h[t0 + 3] = d0;
          h[t1] = a1; h[t1 + 1] = b1; h[t1 + 2] = c1; h[t1 + 3] = d1;
          h[t2] = a2; h[t2 + 1] = b2; h[t2 + 2] = c2; h[t2 + 3] = d2;
          h[t3] = a3; h[t3 + 1] = b3; h[t3 + 2] = c3; h[t3 + 3] = d3;
        }
        for (; c < cEnd; c++) for (let rr = r; rr < r + 4; rr++) h[dst + c * rows + rr] = h[src + rr * cols + c];
      }
      for (; r < rEnd; r++) for (let c = cb; c < cEnd; c++) h[dst + c * rows + r] = h[src + r * cols + c];
    }
  }
}

/** The [outer, rows, cols, inner] view of a permutation that swaps two adjacent axis groups, or undefined. */
export function asAxisGroupSwap(shape: number[], perm: number[]): { outer: number; rows: number; cols: number; inner: number } | undefined {
  // Drop size-1 axes, then merge axes that stay adjacent and in order.
  const kept = perm.filter((p) => shape[p] !== 1);
  const groups: number[][] = [];
  for (const p of kept) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] + 1 === p) last.push(p);
    else groups.push([p]);
  }
  const size = (g: number[]) => g.reduce((n, a) => n * shape[a], 1);
  const first = (g: number[]) => g[0];
  // Output order of groups; the input order is the groups sorted by their first axis.
  const order = groups.map(first);
  const sorted = [...order].sort((a, b) => a - b);
  const moved = order.map((a, i) => (a === sorted[i] ? -1 : i)).filter((i) => i >= 0);
  if (moved.length === 0) return { outer: 1, rows: 1, cols: 1, inner: size(groups.flat()) };
  if (moved.length !== 2 || moved[1] !== moved[0] + 1) return undefined;
  const [i, j] = moved;
  return {
    outer: groups.slice(0, i).reduce((n, g) => n * size(g), 1),
    rows: size(groups[j]),
    cols: size(groups[i]),
    inner: groups.slice(j + 1).reduce((n, g) => n * size(g), 1),
  };
}

/** Transposes a float32 tensor into a fresh output when it is an axis-group swap; undefined otherwise. */
export function fastTranspose(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo | undefined {
  if (x.dtype !== 'float32') return undefined;
  const swap = asAxisGroupSwap(x.shape, perm);
  if (!swap) return undefined;
  const moveRuns = swap.inner > 1 && swap.rows > 1 && swap.cols > 1;
  const copier = moveRuns ? simdCopyFor(backend) : undefined;
  if (moveRuns && !copier) return undefined;
  const outShape = perm.map((p) => x.shape[p]);
  const out = backend.makeOutput(outShape, 'float32');
  const size = sizeOf(x.shape);
  if (size === 0) return out;
  if (copier) {
    // Runs of `inner` floats move whole (attention head splits): one memory.copy each.
    copier.swapGroups(dataOf(backend, x).memoryOffset, dataOf(backend, out).memoryOffset, swap.outer, swap.rows, swap.cols, swap.inner);
    return out;
  }
  const heap = heapAllF32(backend);
  const src = dataOf(backend, x).memoryOffset >> 2;
  const dst = dataOf(backend, out).memoryOffset >> 2;
  if (swap.rows === 1 || swap.cols === 1) {
    heap.copyWithin(dst, src, src + size);
  } else {
    const plane = swap.rows * swap.cols;
    for (let o = 0; o < swap.outer; o++) transpose2dInto(heap, src + o * plane, dst + o * plane, swap.rows, swap.cols);
  }
  return out;
}

export function makeTransposeConfig(stock: KernelConfig | undefined): KernelConfig {
  return withStockFallback(Transpose, stock, (args) => fastTranspose(args.backend as BackendWasm, args.inputs.x as TensorInfo, (args.attrs as unknown as TransposeAttrs).perm));
}
