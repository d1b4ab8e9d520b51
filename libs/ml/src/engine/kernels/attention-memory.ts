import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { gatedThreads } from '../thread-gate';
import { TEAM_MIN_MACS } from './batch-mat-mul';
import { gemmTeamFor, runOnTeam, SharedProduct, teamReady } from './gemm-team';
import { AnyBackend, valuesOf } from './js-kernel';
import { activeNativeGemm } from './native-gemm';
import { simdCopyFor } from './simd-copy';
import { simdGemmFor } from './simd-gemm';
import { simdSoftmaxFor } from './simd-softmax';
import { floatOffset, heapAllF32 } from './wasm-heap';

// Where the fused attention kernels (fused-attention.ts) run: every tensor at an element offset
// of one Float32Array, with the primitives the algorithm needs. On wasm that is the heap itself
// and our SIMD modules (JS loops for softmax rows that are not a multiple of 4); on cpu, an arena
// the inputs are copied into, with JS loops throughout (the reference the parity tests compare).

/** One product C = op(A)·op(B) at element offsets with leading dimensions. */
export type Gemm = (transA: boolean, transB: boolean, m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number) => void;

/** One Float32Array addressed by element offsets, and the operations on it. */
export interface Memory {
  f32: Float32Array;
  /** Native code for single products in place, when the backend has it (then no operand is packed). */
  gemm?: Gemm;
  /** `batch` products C = op(A)·B, A read through strides (see SharedProduct); offsets in elements. */
  product(p: SharedProduct): void;
  /** [outer, rows, cols] → [outer, cols, rows] */
  transpose(src: number, dst: number, outer: number, rows: number, cols: number): void;
  /** [outer, rows, cols, inner] → [outer, cols, rows, inner] */
  swap(src: number, dst: number, outer: number, rows: number, cols: number, inner: number): void;
  softmax(p: number, bias: number, rows: number, cols: number, rowsPerBias: number, scale: number): void;
  softmaxGrad(p: number, g: number, rows: number, cols: number, scale: number): void;
}

function softmaxJs(f: Float32Array, p: number, bias: number, rows: number, cols: number, rowsPerBias: number, scale: number): void {
  for (let r = 0; r < rows; r++) {
    const row = p + r * cols;
    const biasRow = bias + Math.floor(r / rowsPerBias) * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) {
      const x = f[row + j] * scale + f[biasRow + j];
      f[row + j] = x;
      if (x > max) max = x;
    }
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(f[row + j] - max);
      f[row + j] = e;
      sum += e;
    }
    for (let j = 0; j < cols; j++) f[row + j] /= sum;
  }
}

function softmaxGradJs(f: Float32Array, p: number, g: number, rows: number, cols: number, scale: number): void {
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += f[g + r * cols + j] * f[p + r * cols + j];
    for (let j = 0; j < cols; j++) f[g + r * cols + j] = f[p + r * cols + j] * (f[g + r * cols + j] - dot) * scale;
  }
}

function productJs(f: Float32Array, p: SharedProduct): void {
  for (let t = 0; t < p.batch; t++) {
    const a = p.a + t * p.sa;
    const b = p.b + t * p.sb;
    const c = p.c + t * p.sc;
    for (let i = 0; i < p.m; i++) {
      for (let j = 0; j < p.n; j++) {
        let s = 0;
        for (let k = 0; k < p.k; k++) s += f[a + i * p.ars + k * p.acs] * f[b + k * p.ldb + j];
        f[c + i * p.ldc + j] = s;
      }
    }
  }
}

/** [outer, rows, cols, inner] -> [outer, cols, rows, inner] */
function swapJs(f: Float32Array, src: number, dst: number, outer: number, rows: number, cols: number, inner: number): void {
  const plane = rows * cols * inner;
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const from = src + o * plane + (r * cols + c) * inner;
        const to = dst + o * plane + (c * rows + r) * inner;
        for (let i = 0; i < inner; i++) f[to + i] = f[from + i];
      }
    }
  }
}

/** The wasm heap with our SIMD kernels; undefined when they cannot be built here. */
function wasmMemory(backend: BackendWasm): Memory | undefined {
  const gemm = simdGemmFor(backend);
  const softmax = simdSoftmaxFor(backend);
  const copy = simdCopyFor(backend);
  if (!gemm || !softmax || !copy) return undefined;
  const team = gatedThreads() > 1 ? gemmTeamFor(backend) : undefined;
  const f32 = heapAllF32(backend); // after anything that may allocate (the team's control block)
  const native = activeNativeGemm()?.gemmAt;
  return {
    f32,
    gemm: native && ((transA, transB, m, n, k, a, lda, b, ldb, c, ldc) => native(f32, transA, transB, m, n, k, a, lda, b, ldb, c, ldc)),
    product(p) {
      const bytes = { ...p, a: p.a * 4, b: p.b * 4, c: p.c * 4 };
      if (team && p.batch * p.m * p.n * p.k >= TEAM_MIN_MACS && teamReady(team)) runOnTeam(team, bytes);
      else gemm.gemmBatched(bytes.a, bytes.b, bytes.c, p.batch, p.sa, p.sb, p.sc, p.m, p.n, p.k, p.ars, p.acs, p.ldb, p.ldc, 0, 0);
    },
    transpose(src, dst, outer, rows, cols) {
      for (let o = 0; o < outer; o++) gemm.transpose((src + o * rows * cols) * 4, (dst + o * rows * cols) * 4, rows, cols);
    },
    swap: (src, dst, outer, rows, cols, inner) => copy.swapGroups(src * 4, dst * 4, outer, rows, cols, inner),
    softmax(p, bias, rows, cols, rowsPerBias, scale) {
      if (cols % 4 === 0) softmax.softmaxRows(p * 4, bias * 4, rows, cols, rowsPerBias, scale);
      else softmaxJs(f32, p, bias, rows, cols, rowsPerBias, scale);
    },
    softmaxGrad(p, g, rows, cols, scale) {
      if (cols % 4 === 0) softmax.softmaxGradRows(p * 4, g * 4, rows, cols, scale);
      else softmaxGradJs(f32, p, g, rows, cols, scale);
    },
  };
}

function jsMemory(f32: Float32Array): Memory {
  return {
    f32,
    product: (p) => productJs(f32, p),
    transpose: (src, dst, outer, rows, cols) => swapJs(f32, src, dst, outer, rows, cols, 1),
    swap: (src, dst, outer, rows, cols, inner) => swapJs(f32, src, dst, outer, rows, cols, inner),
    softmax: (p, bias, rows, cols, rowsPerBias, scale) => softmaxJs(f32, p, bias, rows, cols, rowsPerBias, scale),
    softmaxGrad: (p, g, rows, cols, scale) => softmaxGradJs(f32, p, g, rows, cols, scale),
  };
}

/**
 * Runs `run` with every tensor (inputs, outputs, scratch) at an element offset of one memory:
 * the wasm heap in place, or on cpu an arena the inputs are copied into and the outputs out of.
 */
export function onMemory(backend: unknown, inputs: TensorInfo[], outputShapes: number[][], scratchSizes: number[], run: (mem: Memory, inputAt: number[], outputAt: number[], scratchAt: number[]) => void): TensorInfo[] {
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const any = backend as AnyBackend;
  if (any.wasm) {
    const wasm = backend as BackendWasm;
    const outputs = outputShapes.map((s) => wasm.makeOutput(s, 'float32'));
    const scratch = scratchSizes.map((n) => wasm.makeOutput([Math.max(n, 1)], 'float32'));
    try {
      const mem = wasmMemory(wasm);
      if (mem) {
        const at = (t: TensorInfo) => floatOffset(wasm, t);
        run(mem, inputs.map(at), outputs.map(at), scratch.map(at));
        return outputs;
      }
      // No SIMD module: the JS loops on the heap itself.
      const f32 = heapAllF32(wasm);
      const at = (t: TensorInfo) => floatOffset(wasm, t);
      run(jsMemory(f32), inputs.map(at), outputs.map(at), scratch.map(at));
      return outputs;
    } finally {
      for (const t of scratch) wasm.disposeData(t.dataId);
    }
  }
  if (!any.makeTensorInfo) throw new Error('fused attention needs the wasm or cpu backend');
  const sizes = [...inputs.map((t) => size(t.shape)), ...outputShapes.map(size), ...scratchSizes];
  const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  const arena = new Float32Array(sizes.reduce((a, b) => a + b, 0));
  inputs.forEach((t, i) => arena.set(valuesOf(any, t), offsets[i]));
  const outAt = offsets.slice(inputs.length, inputs.length + outputShapes.length);
  run(jsMemory(arena), offsets.slice(0, inputs.length), outAt, offsets.slice(inputs.length + outputShapes.length));
  return outputShapes.map((s, i) => (any.makeTensorInfo as NonNullable<AnyBackend['makeTensorInfo']>)(s, 'float32', arena.slice(outAt[i], outAt[i] + size(s))));
}
