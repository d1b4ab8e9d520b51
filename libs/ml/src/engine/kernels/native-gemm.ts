import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { dataOf, heapF32 } from './wasm-heap';
import { fusedMatMulModel } from './native-gemm-model';

// Matrix products on ONNX Runtime's CPU GEMM (MLAS) when the optional `onnxruntime-node` package
// is installed. WebAssembly SIMD has 128-bit lanes and no fused multiply-add, so our kernels top
// out near 30 GFLOP/s a thread; MLAS uses the machine's AVX2/AVX-512 FMA and reaches 100–200 on
// the same two cores. Each product is one com.microsoft FusedMatMul (transposes and batch
// broadcasting built in) run through the binding's synchronous session: tfjs kernels cannot
// await. The binding refuses shared memory (the threaded wasm heap is a SharedArrayBuffer), so
// operands are copied into reusable plain buffers and the result copied back (≈ 0.1 ms per MB).

/** The parts of onnxruntime-node we use: its synchronous session wrapper and tensor class. */
interface OrtBinding {
  binding: { InferenceSession: new () => OrtSession };
  initOrt(): void;
}
interface OrtSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, unknown>, fetches: Record<string, unknown>, options: object): Record<string, unknown>;
  dispose(): void;
}

/**
 * What the binding reads from a tensor. A plain object rather than onnxruntime-common's Tensor:
 * its constructor checks `instanceof Float32Array`, which fails across realms (Jest's sandbox).
 */
function ortTensor(data: Float32Array, dims: readonly number[]) {
  return { type: 'float32', dims, data, location: 'cpu' };
}

export interface NativeGemm {
  /** e.g. `onnxruntime-node@1.30.0`. */
  provider: string;
  threads: number;
  /** A single product (a batch sharing its right operand counts as one) runs here from this many multiply-adds. */
  minMacs: number;
  /** A batch of products runs here when each has this many. */
  minBatchedMacs: number;
  sessions: Map<string, OrtSession>;
  createSession(model: Uint8Array): OrtSession;
  /** Plain buffers for A, B and the result, grown on demand. */
  scratch: [Float32Array, Float32Array, Float32Array];
}

/**
 * A call costs ~30 µs plus the copies, so small products stay on our kernels. Measured on the
 * training steps' shapes (2 threads): one product wins from about 2^20 multiply-adds (2–3× at
 * 2^22, 3× at 2^25); batched products of small matrices (attention with 16–64 tokens) lose
 * until each matrix has about 2^17.
 */
export const NATIVE_MIN_MACS = 1 << 20;
export const NATIVE_MIN_BATCHED_MACS = 1 << 17;

let active: NativeGemm | undefined;

export type NativeGemmChoice = 'onnxruntime' | 'wasm';

/** `FORGE_ML_GEMM`: `onnxruntime` (default when installed) or `wasm` (our kernels only). */
export function nativeGemmChoice(raw = process.env.FORGE_ML_GEMM): NativeGemmChoice {
  if (raw === undefined || raw === '' || raw === 'onnxruntime') return 'onnxruntime';
  if (raw === 'wasm') return 'wasm';
  throw Object.assign(new Error(`FORGE_ML_GEMM must be 'onnxruntime' or 'wasm', got '${raw}'`), { code: 'INVALID_CONFIG' });
}

/** Loads onnxruntime-node's CPU GEMM for `threads` threads; undefined (with the reason) when it is not installed. */
export function startNativeGemm(threads: number, minMacs = NATIVE_MIN_MACS, minBatchedMacs = NATIVE_MIN_BATCHED_MACS): { gemm?: NativeGemm; reason?: string } {
  let ort: OrtBinding;
  let version: string;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ort = require('onnxruntime-node/dist/binding') as OrtBinding;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    version = (require('onnxruntime-node/package.json') as { version: string }).version;
    ort.initOrt();
  } catch (err) {
    return { reason: `onnxruntime-node not available (${(err as Error).message.split('\n')[0]})` };
  }
  const options = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    // Spinning workers would hold the second core while tfjs runs everything else.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  const createSession = (model: Uint8Array): OrtSession => {
    const session = new ort.binding.InferenceSession();
    session.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, options);
    return session;
  };
  active = { provider: `onnxruntime-node@${version}`, threads, minMacs, minBatchedMacs, sessions: new Map(), createSession, scratch: [new Float32Array(0), new Float32Array(0), new Float32Array(0)] };
  return { gemm: active };
}

export function activeNativeGemm(): NativeGemm | undefined {
  return active;
}

export function stopNativeGemm(): void {
  if (!active) return;
  for (const session of active.sessions.values()) session.dispose();
  active = undefined;
}

/** Whether the product is large enough to gain from the native GEMM. */
export function worthNative(gemm: NativeGemm, p: Pick<NativeProduct, 'transposeA' | 'batchA' | 'batchB' | 'batch' | 'm' | 'n' | 'k'>): boolean {
  const single = p.batch === 1 || (p.batchB === 1 && !p.transposeA); // a shared right operand folds the batch into rows
  return single ? p.batch * p.m * p.n * p.k >= gemm.minMacs : p.m * p.n * p.k >= gemm.minBatchedMacs;
}

/** [batch, rows, cols] when batched, else [rows, cols]: the operand as FusedMatMul reads it. */
function operandDims(shape: readonly number[], batch: number): number[] {
  const rows = shape[shape.length - 2];
  const cols = shape[shape.length - 1];
  return batch > 1 ? [batch, rows, cols] : [rows, cols];
}

export interface NativeProduct {
  a: { shape: readonly number[]; dataId: object };
  b: { shape: readonly number[]; dataId: object };
  out: { dataId: object };
  transposeA: boolean;
  transposeB: boolean;
  batchA: number;
  batchB: number;
  batch: number;
  m: number;
  n: number;
  k: number;
}

/** out = op(a)·op(b) on MLAS; each batch is 1 or the output's batch (callers expand partial broadcasts first). */
export function nativeProduct(gemm: NativeGemm, backend: BackendWasm, p: NativeProduct): void {
  const aDims = operandDims(p.a.shape, p.batchA);
  const bDims = operandDims(p.b.shape, p.batchB);
  const key = `${p.transposeA ? 1 : 0}${p.transposeB ? 1 : 0}${aDims.length}${bDims.length}`;
  let session = gemm.sessions.get(key);
  if (!session) {
    session = gemm.createSession(fusedMatMulModel(p.transposeA, p.transposeB, aDims.length, bDims.length));
    gemm.sessions.set(key, session);
  }
  const size = (dims: number[]) => dims.reduce((x, y) => x * y, 1);
  const outDims = p.batch > 1 ? [p.batch, p.m, p.n] : [p.m, p.n];
  const sizes = [size(aDims), size(bDims), size(outDims)];
  sizes.forEach((n, i) => {
    if (gemm.scratch[i].length < n) gemm.scratch[i] = new Float32Array(n);
  });
  const [aBuf, bBuf, outBuf] = sizes.map((n, i) => gemm.scratch[i].subarray(0, n));
  aBuf.set(heapF32(backend, dataOf(backend, p.a as never).memoryOffset, sizes[0]));
  bBuf.set(heapF32(backend, dataOf(backend, p.b as never).memoryOffset, sizes[1]));
  session.run({ A: ortTensor(aBuf, aDims), B: ortTensor(bBuf, bDims) }, { Y: ortTensor(outBuf, outDims) }, {});
  heapF32(backend, dataOf(backend, p.out as never).memoryOffset, sizes[2]).set(outBuf);
}
