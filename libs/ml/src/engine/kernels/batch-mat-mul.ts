import { BatchMatMul, BatchMatMulAttrs, broadcast_util, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { gatedThreads, parallel } from '../thread-gate';
import { gemmTeamFor, runOnTeam, teamReady } from './gemm-team';
import { activeNativeGemm, worthNative } from './native-gemm';
import { simdGemmFor } from './simd-gemm';
import { fastTranspose, transpose2dInto } from './transpose';
import { aliasId, cFunction, dataOf, forgetCachedOperators, heapAllF32, releaseAlias, shapeBytes, sizeOf } from './wasm-heap';

// The stock wasm BatchMatMul uses XNNPACK's fast GEMM only for a single non-transposed 2-D
// product; transposed and batched products fall to a naive loop (0.5–2 GFLOP/s). Here every case
// becomes one or more non-transposed 2-D GEMMs on the fast path:
// - transposed operands are materialised with a blocked transpose (one pass over the operand);
// - a right operand shared by the whole batch folds the batch into rows: one [B·M, K]·[K, N];
// - otherwise we loop over the batch, pointing C-side tensor ids at the slices (no copies).
//
// The C side caches the packed right operand per tensor id, whatever its shape. A reshaped view
// shares its id with the original, so reusing the id with another [K, N] would read stale packed
// weights. We remember the [K, N] each right-operand buffer was packed as and drop the C-side
// cache when it changes; slices and temporaries get fresh ids that die right after the call.

const packedAs = new WeakMap<object, string>();

function gemmFunction(backend: BackendWasm) {
  return cFunction(backend, 'BatchMatMul', ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
}

/**
 * Products smaller than this many multiply-adds run on the calling thread: waking the pool costs
 * more than it saves (measured on 2 busy cores: a DiT step with the pool on every op was 7× slower).
 */
export const PARALLEL_MIN_MACS = 1 << 25;

/** Products from this many multiply-adds on are shared with the worker thread (gemm-team.ts). */
export const TEAM_MIN_MACS = 1 << 17;

/** out[M, N] = a[M, K] · b[K, N] on the XNNPACK path; all ids are C-side tensor ids. */
function gemmIds(backend: BackendWasm, aId: number, bId: number, outId: number, m: number, k: number, n: number): void {
  const run = () => gemmFunction(backend)(aId, shapeBytes([1, m, k]), 3, bId, shapeBytes([1, k, n]), 3, false, false, outId);
  if (m * k * n >= PARALLEL_MIN_MACS) parallel(run);
  else run();
}

/** Makes sure the C side holds no packing of `b`'s buffer under another [K, N]. */
function guardPackedCache(backend: BackendWasm, b: TensorInfo, k: number, n: number): number {
  const data = dataOf(backend, b);
  const key = `${k}x${n}`;
  const previous = packedAs.get(b.dataId);
  if (previous !== undefined && previous !== key) forgetCachedOperators(backend, data, sizeOf(b.shape));
  packedAs.set(b.dataId, key);
  return data.id;
}

interface Operand {
  /** Tensor laid out as [batch, rows, cols] with no transpose pending. */
  t: TensorInfo;
  batch: number;
  /** True when `t` is a temporary we must dispose. */
  owned: boolean;
}

/** The operand as a row-major [batch, rows, cols] buffer, transposing if asked. */
function materialise(backend: BackendWasm, x: TensorInfo, transpose: boolean): Operand {
  const rank = x.shape.length;
  const batch = sizeOf(x.shape.slice(0, -2));
  if (!transpose) return { t: x, batch, owned: false };
  const view: TensorInfo = { dataId: x.dataId, shape: [batch, x.shape[rank - 2], x.shape[rank - 1]], dtype: x.dtype };
  const t = fastTranspose(backend, view, [0, 2, 1]);
  if (!t) throw new Error(`BatchMatMul: cannot transpose ${x.dtype} operand ${JSON.stringify(x.shape)}`);
  return { t, batch, owned: true };
}

export function batchMatMulFast(backend: BackendWasm, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): TensorInfo {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') throw new Error(`BatchMatMul supports float32 only, got ${a.dtype} and ${b.dtype}`);
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const m = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
  const k = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
  const kB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
  const n = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
  if (k !== kB) {
    throw new Error(`Error in matMul: inner shapes (${k}) and (${kB}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
  }
  const outBatchDims = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const outShape = [...outBatchDims, m, n];
  const batch = sizeOf(outBatchDims);
  const out = backend.makeOutput(outShape, 'float32');
  if (sizeOf(outShape) === 0) return out;
  if (k === 0) {
    backend.typedArrayFromHeap(out).fill(0);
    return out;
  }
  const batchA = sizeOf(a.shape.slice(0, -2));
  const batchB = sizeOf(b.shape.slice(0, -2));
  if ((batchA !== 1 && batchA !== batch) || (batchB !== 1 && batchB !== batch)) {
    // Partial broadcasting such as [2,1,M,K]·[1,3,K,N]: expand the operands, then go batched.
    return broadcastThenMultiply(backend, out, a, b, transposeA, transposeB, outBatchDims);
  }

  const native = activeNativeGemm();
  const product = { a, b, out, transposeA, transposeB, batchA, batchB, batch, m, n, k };
  if (native && worthNative(native, product)) {
    native.product(backend, product);
    return out;
  }

  // Our kernel takes any batch of products each below the threading threshold (a shared right
  // operand folds the batch into one product, so the folded size decides); larger ones go to XNNPACK.
  const productMacs = batchB === 1 && !transposeA ? batchA * m * n * k : m * n * k;
  if (productMacs < PARALLEL_MIN_MACS && simdProduct(backend, out, a, b, transposeA, transposeB, batchA, batchB, batch, m, n, k)) return out;

  const opA = materialise(backend, a, transposeA);
  const opB = materialise(backend, b, transposeB);
  try {
    const outData = dataOf(backend, out);
    if (batchB === 1) {
      // One GEMM: the shared right operand multiplies every row of every batch of A.
      const aData = dataOf(backend, opA.t);
      const bId = opB.owned ? dataOf(backend, opB.t).id : guardPackedCache(backend, opB.t, k, n);
      const aId = aliasId(backend, aData.memoryOffset, batchA * m * k);
      const outId = aliasId(backend, outData.memoryOffset, batch * m * n);
      try {
        gemmIds(backend, aId, bId, outId, batchA * m, k, n);
      } finally {
        releaseAlias(backend, aId);
        releaseAlias(backend, outId);
      }
    } else {
      const aOffset = dataOf(backend, opA.t).memoryOffset;
      const bOffset = dataOf(backend, opB.t).memoryOffset;
      for (let i = 0; i < batch; i++) {
        const aId = aliasId(backend, aOffset + (batchA === 1 ? 0 : i * m * k * 4), m * k);
        const bId = aliasId(backend, bOffset + i * k * n * 4, k * n);
        const outId = aliasId(backend, outData.memoryOffset + i * m * n * 4, m * n);
        try {
          gemmIds(backend, aId, bId, outId, m, k, n);
        } finally {
          releaseAlias(backend, aId);
          releaseAlias(backend, bId);
          releaseAlias(backend, outId);
        }
      }
    }
  } finally {
    if (opA.owned) backend.disposeData(opA.t.dataId);
    if (opB.owned) backend.disposeData(opB.t.dataId);
  }
  return out;
}

/**
 * Products below the threading threshold run on our SIMD kernel (simd-gemm.ts) in one call:
 * transposed A through strides, transposed B through a per-slice scratch copy, shared operands
 * with a zero batch stride. False when the kernel module is not available.
 */
function simdProduct(backend: BackendWasm, out: TensorInfo, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean, batchA: number, batchB: number, batch: number, m: number, n: number, k: number): boolean {
  const kernel = simdGemmFor(backend);
  if (!kernel) return false;
  const candidate = batch * m * n * k >= TEAM_MIN_MACS && gatedThreads() > 1 ? gemmTeamFor(backend) : undefined;
  const team = candidate && teamReady(candidate) ? candidate : undefined;
  // Transposed B: per slice into scratch inside the kernel, or all slices up front for the team.
  const scratch = transposeB ? backend.makeOutput([(team ? batchB : 1) * k * n], 'float32') : undefined;
  try {
    const aAt = dataOf(backend, a).memoryOffset;
    let bAt = dataOf(backend, b).memoryOffset;
    const cAt = dataOf(backend, out).memoryOffset;
    const ars = transposeA ? 1 : k;
    const acs = transposeA ? m : 1;
    let ldb = transposeB ? k : n;
    const scratchAt = scratch ? dataOf(backend, scratch).memoryOffset : 0;
    // A shared right operand with a row-major A: the batch of A folds into rows, one product.
    const fold = batchB === 1 && !transposeA;
    const shape = fold ? { batch: 1, m: batchA * m, sa: 0 } : { batch, m, sa: batchA === 1 ? 0 : m * k };
    const sb = batchB === 1 ? 0 : k * n;
    if (team) {
      if (transposeB) {
        const heap = heapAllF32(backend);
        for (let t = 0; t < batchB; t++) transpose2dInto(heap, (bAt >> 2) + t * k * n, (scratchAt >> 2) + t * k * n, n, k);
        bAt = scratchAt;
        ldb = n;
      }
      runOnTeam(team, { a: aAt, b: bAt, c: cAt, batch: shape.batch, sa: shape.sa, sb, sc: m * n, m: shape.m, n, k, ars, acs, ldb, ldc: n });
    } else {
      kernel.gemmBatched(aAt, bAt, cAt, shape.batch, shape.sa, sb, m * n, shape.m, n, k, ars, acs, ldb, n, transposeB ? 1 : 0, scratchAt);
    }
  } finally {
    if (scratch) backend.disposeData(scratch.dataId);
  }
  return true;
}

/** Rare case: both operands batched but only partly broadcast. Tiles them to the full batch first. */
function broadcastThenMultiply(
  backend: BackendWasm,
  out: TensorInfo,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  outBatchDims: number[],
): TensorInfo {
  const expand = (x: TensorInfo): TensorInfo => {
    const rank = x.shape.length;
    const inner = x.shape.slice(-2);
    const xBatch = [...new Array(outBatchDims.length - (rank - 2)).fill(1), ...x.shape.slice(0, -2)];
    const full = backend.makeOutput([...outBatchDims, ...inner], 'float32');
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(full);
    const plane = inner[0] * inner[1];
    const total = sizeOf(outBatchDims);
    for (let i = 0; i < total; i++) {
      // Index of output batch i in x's (broadcast) batch.
      let rem = i;
      let srcIndex = 0;
      let stride = 1;
      for (let d = outBatchDims.length - 1; d >= 0; d--) {
        const coord = rem % outBatchDims[d];
        rem = Math.floor(rem / outBatchDims[d]);
        if (xBatch[d] !== 1) srcIndex += coord * stride;
        stride *= xBatch[d];
      }
      dst.set(src.subarray(srcIndex * plane, (srcIndex + 1) * plane), i * plane);
    }
    return full;
  };
  const fullA = expand(a);
  const fullB = expand(b);
  try {
    const result = batchMatMulFast(backend, fullA, fullB, transposeA, transposeB);
    backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(result));
    backend.disposeData(result.dataId);
    return out;
  } finally {
    backend.disposeData(fullA.dataId);
    backend.disposeData(fullB.dataId);
  }
}

export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
    return batchMatMulFast(backend as BackendWasm, inputs.a as TensorInfo, inputs.b as TensorInfo, !!transposeA, !!transposeB);
  },
};
