import { KernelConfig, Mean, Sum, SumAttrs, TensorInfo, util, backend_util } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { activeNativeKernels } from './native-kernels';
import { withStockFallback } from './stock-fallback';
import { cFunction, dataOf, floatOffset, heapAllF32, heapF32, sizeOf } from './wasm-heap';

// Stock wasm reduces only over inner-most axes; any other axis (every bias gradient sums over
// the leading batch axes) is first transposed by a generic loop: ≈11 ms for [8192, 192].
// A contiguous block of reduced axes is an average pool over a reshaped view instead:
// [outer, R, C] viewed as NHWC [outer, R, W, channels] (C = W·channels) pooled by an [R, 1]
// window. XNNPACK's average pool corrupted memory with ≥ 16k channels in one test, so channels
// stay ≤ MAX_POOL_CHANNELS by moving part of C into the pool's width.
// With the C kernels loaded (native-kernels.ts) every contiguous block runs there instead, also
// the trailing one the stock kernel keeps (a layer norm's moments: ~0.13 ms for 1024×192).

const MAX_POOL_CHANNELS = 8192;

/** [outer, reduced, inner] sizes when `axes` form one contiguous block, else undefined. */
export function contiguousReduction(shape: number[], axes: number[]): { outer: number; reduced: number; inner: number } | undefined {
  const sorted = [...axes].sort((x, y) => x - y);
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1] + 1) return undefined;
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  return { outer: sizeOf(shape.slice(0, first)), reduced: sizeOf(shape.slice(first, last + 1)), inner: sizeOf(shape.slice(last + 1)) };
}

function largestDivisorAtMost(n: number, cap: number): number {
  for (let d = Math.min(n, cap); d > 1; d--) if (n % d === 0) return d;
  return 1;
}

function poolReduce(backend: BackendWasm, x: TensorInfo, axes: number[], keepDims: boolean, scaleBySize: boolean): TensorInfo | undefined {
  if (x.dtype !== 'float32' || axes.length === 0) return undefined;
  const block = contiguousReduction(x.shape, axes);
  if (!block || block.inner === 1 || block.reduced === 1) return undefined;
  const channels = largestDivisorAtMost(block.inner, MAX_POOL_CHANNELS);
  const width = block.inner / channels;
  if (channels < 8 && width > 1) return undefined; // awkward factorisation: the stock path is fine
  const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
  const out = backend.makeOutput(keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape, 'float32');
  const avgPool = cFunction(backend, 'AvgPool', new Array(14).fill('number'));
  const r = block.reduced;
  avgPool(dataOf(backend, x).id, block.outer, r, width, r, 1, 0, 0, 0, 0, 1, 1, channels, dataOf(backend, out).id);
  if (scaleBySize) {
    const values = heapF32(backend, dataOf(backend, out).memoryOffset, block.outer * block.inner);
    for (let i = 0; i < values.length; i++) values[i] *= r;
  }
  return out;
}

/** A contiguous block of float32 axes in C; undefined without the C kernels or for other reductions. */
function nativeReduce(backend: BackendWasm, x: TensorInfo, axes: number[], keepDims: boolean, scaleBySize: boolean): TensorInfo | undefined {
  const native = activeNativeKernels();
  if (!native || x.dtype !== 'float32' || axes.length === 0) return undefined;
  const block = contiguousReduction(x.shape, axes);
  if (!block) return undefined;
  const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
  const out = backend.makeOutput(keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape, 'float32');
  if (block.outer * block.inner === 0) return out;
  // An empty block sums to 0 (and its mean is NaN, as 0/0 on the stock kernel).
  const scale = scaleBySize ? 1 : 1 / block.reduced;
  if (block.reduced === 0) heapF32(backend, dataOf(backend, out).memoryOffset, block.outer * block.inner).fill(scaleBySize ? 0 : NaN);
  else native.reduce(heapAllF32(backend), floatOffset(backend, x), floatOffset(backend, out), block.outer, block.reduced, block.inner, scale);
  return out;
}

function makeConfig(kernelName: string, stock: KernelConfig | undefined, scaleBySize: boolean): KernelConfig {
  return withStockFallback(kernelName, stock, (args) => {
    const backend = args.backend as BackendWasm;
    const x = args.inputs.x as TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as SumAttrs;
    const axes = util.parseAxisParam(axis, x.shape);
    return nativeReduce(backend, x, axes, !!keepDims, scaleBySize) ?? poolReduce(backend, x, axes, !!keepDims, scaleBySize);
  });
}

export const makeSumConfig = (stock: KernelConfig | undefined) => makeConfig(Sum, stock, true);
export const makeMeanConfig = (stock: KernelConfig | undefined) => makeConfig(Mean, stock, false);
