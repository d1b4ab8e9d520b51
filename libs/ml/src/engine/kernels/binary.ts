import { Add, backend_util, KernelConfig, Multiply, RealDiv, Sub, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { activeNativeKernels, BINARY_OPS } from './native-kernels';
import { withStockFallback } from './stock-fallback';
import { floatOffset, heapAllF32 } from './wasm-heap';

// float32 Add, Sub, Multiply and RealDiv in the C kernels (native-kernels.ts) when they are
// loaded. The stock wasm kernels run any broadcast — even two tensors of the same shape — through
// an index computation per element (~0.9 ns an element on 1024×768, twice the memory-bound time);
// a training step does dozens of these (gradient sums, normalisation, GELU's chain rule). Every
// broadcast that maps onto rows × columns runs in C: same shapes, a scalar, a bias row ([N, D] and
// [D]), a value per row ([N, D] and [N, 1]), and both sides broadcast. Anything else (a middle
// axis broadcast, other dtypes, no C kernels) is the stock kernel's.

/** Where each operand's element (r, c) of the output sits: offset r·row + c·col (col is 0 or 1). */
export interface BroadcastPlan {
  rows: number;
  cols: number;
  a: { row: number; col: number };
  b: { row: number; col: number };
}

/**
 * The rows × cols layout of a broadcast of `a` and `b` (shapes already known to broadcast), or
 * undefined when it needs more than two groups of axes. Axes of size 1 in the output are dropped;
 * neighbouring axes on which each operand is the same kind (spanning the axis or repeated along
 * it) merge into one.
 */
export function broadcastPlan(aShape: readonly number[], bShape: readonly number[]): BroadcastPlan | undefined {
  const rank = Math.max(aShape.length, bShape.length);
  const dim = (shape: readonly number[], i: number) => shape[i - (rank - shape.length)] ?? 1;
  const groups: { aSpans: boolean; bSpans: boolean; size: number }[] = [];
  for (let i = 0; i < rank; i++) {
    const size = dim(aShape, i) === 1 ? dim(bShape, i) : dim(aShape, i);
    if (size === 1) continue;
    const aSpans = dim(aShape, i) === size;
    const bSpans = dim(bShape, i) === size;
    const last = groups[groups.length - 1];
    if (last && last.aSpans === aSpans && last.bSpans === bSpans) last.size *= size;
    else groups.push({ aSpans, bSpans, size });
  }
  if (groups.length > 2) return undefined;
  // One group (or none: scalars) is one row; a row stride never applies there.
  const [outer, inner] = groups.length === 2 ? groups : [{ aSpans: false, bSpans: false, size: 1 }, groups[0] ?? { aSpans: true, bSpans: true, size: 1 }];
  const cols = inner.size;
  const strides = (spansOuter: boolean, spansInner: boolean) => ({ row: spansOuter ? (spansInner ? cols : 1) : 0, col: spansInner ? 1 : 0 });
  return { rows: outer.size, cols, a: strides(outer.aSpans, inner.aSpans), b: strides(outer.bSpans, inner.bSpans) };
}

const OPERATIONS: Record<string, (typeof BINARY_OPS)[number]> = { [Add]: 'add', [Sub]: 'sub', [Multiply]: 'mul', [RealDiv]: 'div' };

export function makeBinaryConfig(kernelName: typeof Add | typeof Sub | typeof Multiply | typeof RealDiv, stock: KernelConfig | undefined): KernelConfig {
  const op = BINARY_OPS.indexOf(OPERATIONS[kernelName]);
  return withStockFallback(kernelName, stock, ({ inputs, backend }) => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const native = activeNativeKernels();
    const plan = native && a.dtype === 'float32' && b.dtype === 'float32' ? broadcastPlan(a.shape, b.shape) : undefined;
    if (!native || !plan) return undefined;
    const wasm = backend as BackendWasm;
    const out = wasm.makeOutput(backend_util.assertAndGetBroadcastShape(a.shape, b.shape), 'float32');
    if (util.sizeFromShape(out.shape) === 0) return out;
    native.binary(heapAllF32(wasm), op, floatOffset(wasm, a), plan.a.row, plan.a.col, floatOffset(wasm, b), plan.b.row, plan.b.col, floatOffset(wasm, out), plan.rows, plan.cols);
    return out;
  });
}
