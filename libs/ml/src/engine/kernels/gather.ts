import { GatherV2, GatherV2Attrs, KernelConfig, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { withStockFallback } from './stock-fallback';
import { dataOf, heapAllF32, sizeOf } from './wasm-heap';

// The stock wasm GatherV2 walks every output element through index arithmetic: ≈20 ms to pick
// 32 images of 32×32×3 (a selector training step's bootstrap batch). Without batch dimensions a
// gather copies contiguous rows of `inner` values, so it is one heap copy per (outer, index).

function gatherRows(backend: BackendWasm, x: TensorInfo, indices: TensorInfo, axis: number): TensorInfo {
  const outer = sizeOf(x.shape.slice(0, axis));
  const axisSize = x.shape[axis];
  const inner = sizeOf(x.shape.slice(axis + 1));
  const ids = backend.typedArrayFromHeap(indices);
  const n = ids.length;
  for (let i = 0; i < n; i++) {
    const id = ids[i];
    if (!(id >= 0 && id < axisSize)) throw new Error(`GatherV2: the index value ${id} is not in [0, ${axisSize - 1}]`);
  }
  const out = backend.makeOutput([...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], x.dtype);
  if (sizeOf(out.shape) === 0) return out;
  const heap = heapAllF32(backend);
  const src = dataOf(backend, x).memoryOffset >> 2;
  let dst = dataOf(backend, out).memoryOffset >> 2;
  for (let o = 0; o < outer; o++) {
    const base = src + o * axisSize * inner;
    for (let i = 0; i < n; i++) {
      const from = base + ids[i] * inner;
      heap.copyWithin(dst, from, from + inner);
      dst += inner;
    }
  }
  return out;
}

export function makeGatherConfig(stock: KernelConfig | undefined): KernelConfig {
  return withStockFallback(GatherV2, stock, (args) => {
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const { axis, batchDims } = args.attrs as unknown as GatherV2Attrs;
    // 4-byte element types only (float32, int32); batched gathers keep the stock kernel.
    if ((batchDims ?? 0) !== 0 || !(x.dtype === 'float32' || x.dtype === 'int32') || indices.dtype !== 'int32') return undefined;
    return gatherRows(args.backend as BackendWasm, x, indices, util.parseAxisParam(axis, x.shape)[0]);
  });
}
