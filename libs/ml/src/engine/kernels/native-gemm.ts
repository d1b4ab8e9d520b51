import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { startBlasGemm } from './blas-gemm';
import { startOrtGemm } from './ort-gemm';

// Matrix products on native code when the machine offers it. WebAssembly SIMD has 128-bit lanes
// and no fused multiply-add, so our kernels top out near 30 GFLOP/s a thread; native GEMMs use
// the CPU's AVX2/AVX-512 FMA and reach 75–110 a thread on the same shapes. Two providers:
// - OpenBLAS through koffi (blas-gemm.ts): in place on the wasm heap, ~0.5 µs a call;
// - onnxruntime-node's MLAS (ort-gemm.ts): copies operands, 30–100 µs a call, larger products only.
// Everything else (and products below a provider's threshold) stays on our wasm kernels.

/** A product of two tensors on the wasm heap: out = op(a)·op(b), each batch 1 or the output's. */
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

export interface NativeGemm {
  /** e.g. `OpenBLAS 0.3.21 SkylakeX via koffi`, `onnxruntime-node@1.30.0`. */
  provider: string;
  threads: number;
  /** A single product (a batch sharing its right operand counts as one) runs here from this many multiply-adds. */
  minMacs: number;
  /** A batch of products runs here when each has this many. */
  minBatchedMacs: number;
  /** out = op(a)·op(b); callers expand partial broadcasts first. */
  product(backend: BackendWasm, p: NativeProduct): void;
  /**
   * One product C = op(A)·op(B) + beta·C (beta 0 or 1) at element offsets of `f32` with leading
   * dimensions, in place (the fused attention kernels read each head straight from the (B·T, D)
   * layouts; the dense kernel adds its bias inside the product); absent when this provider needs
   * whole tensors.
   */
  gemmAt?(f32: Float32Array, transA: boolean, transB: boolean, m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, beta?: number): void;
  dispose(): void;
}

let active: NativeGemm | undefined;

/** `FORGE_ML_GEMM`: where larger products run. `auto` takes the first provider this machine has. */
export type NativeGemmChoice = 'auto' | 'openblas' | 'onnxruntime' | 'wasm';

const CHOICES: readonly NativeGemmChoice[] = ['auto', 'openblas', 'onnxruntime', 'wasm'];

export function nativeGemmChoice(raw = process.env.FORGE_ML_GEMM): NativeGemmChoice {
  if (raw === undefined || raw === '') return 'auto';
  if ((CHOICES as readonly string[]).includes(raw)) return raw as NativeGemmChoice;
  throw Object.assign(new Error(`FORGE_ML_GEMM must be one of ${CHOICES.map((c) => `'${c}'`).join(', ')}, got '${raw}'`), { code: 'INVALID_CONFIG' });
}

type Starter = (threads: number) => { gemm?: NativeGemm; reason?: string };

const STARTERS: Record<'openblas' | 'onnxruntime', Starter> = { openblas: (threads) => startBlasGemm(threads), onnxruntime: startOrtGemm };

/**
 * Starts the chosen provider on `threads` threads. `auto` tries OpenBLAS, then onnxruntime-node,
 * and settles for our kernels; a provider named explicitly must start or this throws.
 */
export function startNativeGemm(choice: NativeGemmChoice, threads: number, starters = STARTERS): { gemm?: NativeGemm; reasons: string[] } {
  stopNativeGemm();
  if (choice === 'wasm') return { reasons: [] };
  const reasons: string[] = [];
  const providers = choice === 'auto' ? (['openblas', 'onnxruntime'] as const) : [choice];
  for (const provider of providers) {
    const started = starters[provider](threads);
    if (started.gemm) {
      active = started.gemm;
      return { gemm: active, reasons };
    }
    reasons.push(`${provider}: ${started.reason}`);
  }
  if (choice !== 'auto') throw Object.assign(new Error(`FORGE_ML_GEMM=${choice} but ${reasons[0]}`), { code: 'GEMM_UNAVAILABLE' });
  return { reasons };
}

export function activeNativeGemm(): NativeGemm | undefined {
  return active;
}

export function stopNativeGemm(): void {
  active?.dispose();
  active = undefined;
}

/** Whether the product is large enough to gain from the native GEMM. */
export function worthNative(gemm: Pick<NativeGemm, 'minMacs' | 'minBatchedMacs'>, p: Pick<NativeProduct, 'transposeA' | 'batchA' | 'batchB' | 'batch' | 'm' | 'n' | 'k'>): boolean {
  const single = p.batch === 1 || (p.batchB === 1 && !p.transposeA); // a shared right operand folds the batch into rows
  return single ? p.batch * p.m * p.n * p.k >= gemm.minMacs : p.m * p.n * p.k >= gemm.minBatchedMacs;
}
