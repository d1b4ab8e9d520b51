import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { openBlasCoreType, readCpuinfo } from '../openblas-core';
import type { NativeGemm, NativeProduct } from './native-gemm';
import { dataOf, heapAllF32 } from './wasm-heap';

// Matrix products on the machine's OpenBLAS (`apt-get install libopenblas0`), called through
// koffi's FFI with pointers into the wasm heap itself: no copies, and ~0.5 µs per call, so even
// the small products of attention heads gain. WebAssembly SIMD has 128-bit lanes and no fused
// multiply-add (10–30 GFLOP/s a thread); OpenBLAS runs the CPU's AVX2/AVX-512 FMA kernels at
// 75–110 GFLOP/s a thread on the same shapes (onnxruntime's MLAS is as fast but costs 30–100 µs
// a call, see ort-gemm.ts).

interface Koffi {
  load(path: string): KoffiLibrary;
}
interface KoffiLibrary {
  func(signature: string): (...args: unknown[]) => unknown;
  unload(): void;
}

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

/** Where the dynamic loader finds OpenBLAS (Debian's alternatives link first). */
export const OPENBLAS_LIBRARIES = ['libopenblas.so.0', 'libopenblas.so', 'libopenblas.dylib', 'libopenblas.dll'];

/** Below this many multiply-adds a call's fixed cost outweighs the faster arithmetic. */
export const BLAS_MIN_MACS = 1 << 10;

/**
 * Products from this many multiply-adds use every thread; smaller ones one thread. In isolation two
 * threads win from ~2^22 (1.15×; 1.85× at 2^27), but inside a training step, where the worker
 * sleeps between products, 2^23–2^25 products on two threads had a p90 of 2–5 ms against 0.2–0.3
 * ms on one: waking the worker costs more than it saves until products are this large.
 */
export const BLAS_ALL_THREADS_MIN_MACS = 1 << 26;

type Sgemm = (order: number, ta: number, tb: number, m: number, n: number, k: number, alpha: number, a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number) => void;

interface OpenBlas {
  sgemm: Sgemm;
  setThreads(n: number): void;
  /** e.g. `OpenBLAS 0.3.21 SkylakeX`. */
  name: string;
}

/** Loaded once per process: OpenBLAS reads its environment when it loads and is never unloaded (its threads live on). */
let loaded: OpenBlas | undefined;

function loadOpenBlas(env: NodeJS.ProcessEnv, libraries: readonly string[]): { blas?: OpenBlas; reason?: string } {
  if (loaded && libraries === OPENBLAS_LIBRARIES) return { blas: loaded };
  let koffi: Koffi;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    koffi = require('koffi') as Koffi;
  } catch (err) {
    return { reason: `koffi not available (${(err as Error).message.split('\n')[0]})` };
  }
  // Read by OpenBLAS when it loads: the CPU's real kernels (openblas-core.ts), and workers that
  // sleep as soon as a product ends instead of spinning on the core our wasm threads need.
  if (env.OPENBLAS_CORETYPE === undefined) {
    const core = openBlasCoreType(readCpuinfo());
    if (core) env.OPENBLAS_CORETYPE = core;
  }
  if (env.OPENBLAS_THREAD_TIMEOUT === undefined) env.OPENBLAS_THREAD_TIMEOUT = '4';
  let library: KoffiLibrary | undefined;
  const failures: string[] = [];
  for (const name of libraries) {
    try {
      library = koffi.load(name);
      break;
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (!library) return { reason: `OpenBLAS not found (${failures[0]}; install it with apt-get install libopenblas0)` };
  try {
    const config = library.func('const char *openblas_get_config()')() as string;
    const core = library.func('const char *openblas_get_corename()')() as string;
    const blas: OpenBlas = {
      sgemm: library.func('void cblas_sgemm(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int)') as Sgemm,
      setThreads: library.func('void openblas_set_num_threads(int)') as (n: number) => void,
      name: `OpenBLAS ${/OpenBLAS\s+(\S+)/.exec(config)?.[1] ?? 'unknown'} ${core}`,
    };
    if (libraries === OPENBLAS_LIBRARIES) loaded = blas;
    return { blas };
  } catch (err) {
    library.unload();
    return { reason: `the library found is not OpenBLAS (${(err as Error).message.split('\n')[0]})` };
  }
}

/** OpenBLAS through koffi on up to `threads` threads; undefined (with the reason) when either is missing. */
export function startBlasGemm(threads: number, env: NodeJS.ProcessEnv = process.env, libraries: readonly string[] = OPENBLAS_LIBRARIES): { gemm?: NativeGemm; reason?: string } {
  const { blas, reason } = loadOpenBlas(env, libraries);
  if (!blas) return { reason };
  const { sgemm, setThreads } = blas;
  // OpenBLAS keeps one global thread count; ours is the only caller that sets it.
  let current = 0;
  /** One product C = op(A)·op(B) with the threads its size deserves. */
  const gemm1 = (f32: Float32Array, transA: boolean, transB: boolean, m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, macs: number, beta = 0): void => {
    const wanted = macs >= BLAS_ALL_THREADS_MIN_MACS ? threads : 1;
    if (wanted !== current) {
      setThreads(wanted);
      current = wanted;
    }
    const aLen = (transA ? k - 1 : m - 1) * lda + (transA ? m : k);
    const bLen = (transB ? n - 1 : k - 1) * ldb + (transB ? k : n);
    const cLen = (m - 1) * ldc + n;
    sgemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, 1, f32.subarray(a, a + aLen), lda, f32.subarray(b, b + bLen), ldb, beta, f32.subarray(c, c + cLen), ldc);
  };

  const product = (backend: BackendWasm, p: NativeProduct): void => {
    const f32 = heapAllF32(backend);
    const a = dataOf(backend, p.a as never).memoryOffset >> 2;
    const b = dataOf(backend, p.b as never).memoryOffset >> 2;
    const c = dataOf(backend, p.out as never).memoryOffset >> 2;
    const lda = p.transposeA ? p.m : p.k;
    const ldb = p.transposeB ? p.k : p.n;
    if (p.batchB === 1 && !p.transposeA) {
      // A shared right operand multiplies every row of every batch of A: one product.
      const rows = p.batchA * p.m;
      gemm1(f32, false, p.transposeB, rows, p.n, p.k, a, lda, b, ldb, c, p.n, rows * p.n * p.k);
      return;
    }
    const macs = p.m * p.n * p.k;
    for (let i = 0; i < p.batch; i++) {
      const ai = p.batchA === 1 ? a : a + i * p.m * p.k;
      const bi = p.batchB === 1 ? b : b + i * p.k * p.n;
      gemm1(f32, p.transposeA, p.transposeB, p.m, p.n, p.k, ai, lda, bi, ldb, c + i * p.m * p.n, p.n, macs);
    }
  };

  return {
    gemm: {
      provider: `${blas.name} via koffi`,
      threads,
      minMacs: BLAS_MIN_MACS,
      minBatchedMacs: BLAS_MIN_MACS,
      product,
      gemmAt: (f32, transA, transB, m, n, k, a, lda, b, ldb, c, ldc, beta = 0) => gemm1(f32, transA, transB, m, n, k, a, lda, b, ldb, c, ldc, m * n * k, beta),
      dispose: () => undefined,
    },
  };
}
