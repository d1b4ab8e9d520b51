import { backend_util, Concat, ConcatAttrs, KernelConfig, Pack, PackAttrs, SplitV, SplitVAttrs, TensorInfo, Unpack, UnpackAttrs, util } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { withStockFallback, type KernelArgs } from './stock-fallback';
import { floatOffset, heapAllF32, sizeOf } from './wasm-heap';

// SplitV, Concat, Pack and Unpack as copies of contiguous runs on the heap. The stock wasm SplitV
// and Unpack slice once per output, and that slice reads the whole input back into JS (readSync)
// each time: splitting the DiT's (16, 576) adaLN parameters nine ways took ~0.17 ms. Concat and Pack
// (a concat along a new axis) build a subarray per run. Seen along one axis every one of these is
// `outer` rows, each the concatenation of every part's run of (its length on the axis)·inner
// elements. 4-byte element types only (float32, int32: copied as bits); others keep the stock kernel.

const SHORT_RUN = 16;

/** Copies `count` runs of `run` elements, `srcStride` / `dstStride` apart (element loops for short runs: a copyWithin call costs more). */
function copyRuns(heap: Int32Array, src: number, srcStride: number, dst: number, dstStride: number, run: number, count: number): void {
  if (run >= SHORT_RUN) {
    for (let r = 0; r < count; r++) heap.copyWithin(dst + r * dstStride, src + r * srcStride, src + r * srcStride + run);
    return;
  }
  for (let r = 0; r < count; r++) {
    const s = src + r * srcStride;
    const d = dst + r * dstStride;
    for (let i = 0; i < run; i++) heap[d + i] = heap[s + i];
  }
}

const wordSized = (t: TensorInfo) => t.dtype === 'float32' || t.dtype === 'int32';

/** The whole heap as 32-bit words (bit-exact copies of either dtype). */
function heapWords(backend: BackendWasm): Int32Array {
  return new Int32Array(heapAllF32(backend).buffer);
}

/** `whole` = the parts side by side along `axis` (lengths[i] each): outer rows of the parts' runs. */
function joinOrSplit(backend: BackendWasm, whole: TensorInfo, parts: TensorInfo[], lengths: number[], axis: number, direction: 'join' | 'split'): void {
  const outer = sizeOf(whole.shape.slice(0, axis));
  const inner = sizeOf(whole.shape.slice(axis + 1));
  const row = whole.shape[axis] * inner;
  if (outer * row === 0) return;
  const heap = heapWords(backend);
  const base = floatOffset(backend, whole);
  let at = 0;
  parts.forEach((part, i) => {
    const run = lengths[i] * inner;
    if (run > 0) {
      const p = floatOffset(backend, part);
      if (direction === 'join') copyRuns(heap, p, run, base + at, row, run, outer);
      else copyRuns(heap, base + at, row, p, run, run, outer);
    }
    at += run;
  });
}

/** float32 or int32 tensors, all of one dtype (the copy kernels' precondition). */
const sameWordType = (inputs: TensorInfo[]) => inputs.length > 0 && inputs.every((t) => wordSized(t) && t.dtype === inputs[0].dtype);

function concat(args: KernelArgs): TensorInfo | undefined {
  const inputs = args.inputs as unknown as TensorInfo[];
  if (!sameWordType(inputs)) return undefined;
  const backend = args.backend as BackendWasm;
  const axis = util.parseAxisParam((args.attrs as unknown as ConcatAttrs).axis, inputs[0].shape)[0];
  backend_util.assertParamsConsistent(inputs.map((t) => t.shape), axis);
  const out = backend.makeOutput(backend_util.computeOutShape(inputs.map((t) => t.shape), axis), inputs[0].dtype);
  joinOrSplit(backend, out, inputs, inputs.map((t) => t.shape[axis]), axis, 'join');
  return out;
}

function pack(args: KernelArgs): TensorInfo | undefined {
  const inputs = args.inputs as unknown as TensorInfo[];
  if (!sameWordType(inputs)) return undefined;
  const backend = args.backend as BackendWasm;
  const shape = inputs[0].shape;
  inputs.forEach((t) => util.assertShapesMatch(shape, t.shape, 'All tensors passed to stack must have matching shapes'));
  const { axis } = args.attrs as unknown as PackAttrs;
  const at = axis < 0 ? axis + shape.length + 1 : axis;
  const out = backend.makeOutput([...shape.slice(0, at), inputs.length, ...shape.slice(at)], inputs[0].dtype);
  joinOrSplit(backend, out, inputs, inputs.map(() => 1), at, 'join');
  return out;
}

function splitV(args: KernelArgs): TensorInfo[] | undefined {
  const { x } = args.inputs as { x: TensorInfo };
  if (!wordSized(x)) return undefined;
  const backend = args.backend as BackendWasm;
  const { numOrSizeSplits, axis } = args.attrs as unknown as SplitVAttrs;
  const at = util.parseAxisParam(axis, x.shape)[0];
  const sizes = backend_util.prepareSplitSize(x as never, numOrSizeSplits, at);
  const outs = sizes.map((s) => backend.makeOutput(x.shape.map((d, i) => (i === at ? s : d)), x.dtype));
  joinOrSplit(backend, x, outs, sizes, at, 'split');
  return outs;
}

function unpack(args: KernelArgs): TensorInfo[] | undefined {
  const { value } = args.inputs as { value: TensorInfo };
  if (!wordSized(value)) return undefined;
  const backend = args.backend as BackendWasm;
  const { axis } = args.attrs as unknown as UnpackAttrs;
  const at = axis < 0 ? axis + value.shape.length : axis;
  const shape = value.shape.filter((_, i) => i !== at);
  const outs = Array.from({ length: value.shape[at] }, () => backend.makeOutput([...shape], value.dtype));
  joinOrSplit(backend, value, outs, outs.map(() => 1), at, 'split');
  return outs;
}

export function makeSplitConcatConfigs(stock: (name: string) => KernelConfig | undefined): KernelConfig[] {
  return [withStockFallback(Concat, stock(Concat), concat), withStockFallback(Pack, stock(Pack), pack), withStockFallback(SplitV, stock(SplitV), splitV), withStockFallback(Unpack, stock(Unpack), unpack)];
}
