import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeGemm, NativeProduct } from './native-gemm';
import { fusedMatMulModel } from './native-gemm-model';
import { dataOf, heapF32 } from './wasm-heap';

// Matrix products on ONNX Runtime's CPU GEMM (MLAS) when the optional `onnxruntime-node` package
// is installed. Each product is one com.microsoft FusedMatMul (transposes and batch broadcasting
// built in) run through the binding's synchronous session: tfjs kernels cannot await. The
// binding refuses shared memory (the threaded wasm heap is a SharedArrayBuffer), so operands are
// copied into reusable plain buffers and the result copied back (≈ 0.1 ms per MB), and a call
// costs a fixed 30–100 µs: only larger products gain.

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

/**
 * Measured on the training steps' shapes (2 threads): one product wins from about 2^20
 * multiply-adds (2–3× at 2^22, 3× at 2^25); batched products of small matrices (attention with
 * 16–64 tokens) lose until each matrix has about 2^17.
 */
export const ORT_MIN_MACS = 1 << 20;
export const ORT_MIN_BATCHED_MACS = 1 << 17;

/** [batch, rows, cols] when batched, else [rows, cols]: the operand as FusedMatMul reads it. */
function operandDims(shape: readonly number[], batch: number): number[] {
  const rows = shape[shape.length - 2];
  const cols = shape[shape.length - 1];
  return batch > 1 ? [batch, rows, cols] : [rows, cols];
}

/** onnxruntime-node's GEMM on `threads` threads; undefined (with the reason) when it is not installed. */
export function startOrtGemm(threads: number): { gemm?: NativeGemm; reason?: string } {
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
  const sessions = new Map<string, OrtSession>();
  /** Plain buffers for A, B and the result, grown on demand. */
  const scratch = [new Float32Array(0), new Float32Array(0), new Float32Array(0)];
  const sessionFor = (transposeA: boolean, transposeB: boolean, rankA: number, rankB: number): OrtSession => {
    const key = `${+transposeA}${+transposeB}${rankA}${rankB}`;
    let session = sessions.get(key);
    if (!session) {
      const model = fusedMatMulModel(transposeA, transposeB, rankA, rankB);
      session = new ort.binding.InferenceSession();
      session.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, options);
      sessions.set(key, session);
    }
    return session;
  };
  const product = (backend: BackendWasm, p: NativeProduct): void => {
    const aDims = operandDims(p.a.shape, p.batchA);
    const bDims = operandDims(p.b.shape, p.batchB);
    const session = sessionFor(p.transposeA, p.transposeB, aDims.length, bDims.length);
    const size = (dims: number[]) => dims.reduce((x, y) => x * y, 1);
    const outDims = p.batch > 1 ? [p.batch, p.m, p.n] : [p.m, p.n];
    const sizes = [size(aDims), size(bDims), size(outDims)];
    sizes.forEach((n, i) => {
      if (scratch[i].length < n) scratch[i] = new Float32Array(n);
    });
    const [aBuf, bBuf, outBuf] = sizes.map((n, i) => scratch[i].subarray(0, n));
    aBuf.set(heapF32(backend, dataOf(backend, p.a as never).memoryOffset, sizes[0]));
    bBuf.set(heapF32(backend, dataOf(backend, p.b as never).memoryOffset, sizes[1]));
    session.run({ A: ortTensor(aBuf, aDims), B: ortTensor(bBuf, bDims) }, { Y: ortTensor(outBuf, outDims) }, {});
    heapF32(backend, dataOf(backend, p.out as never).memoryOffset, sizes[2]).set(outBuf);
  };
  const dispose = (): void => {
    for (const session of sessions.values()) session.dispose();
    sessions.clear();
  };
  return { gemm: { provider: `onnxruntime-node@${version}`, threads, minMacs: ORT_MIN_MACS, minBatchedMacs: ORT_MIN_BATCHED_MACS, product, dispose } };
}
