import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { loadSimdModule, loadThreadedSimdModule, threadedSimdWasmFile, unrefWorkers, WasmModule } from './wasm-module-loader';
import { closeThreadGate, openThreadGate, setActiveThreadGate } from './thread-gate';
import { cloneSavedTensorsOn, shareSavedTensorsOn } from './saved-tensors';
import { registerWasmKernelOverrides } from './kernels';
import { registerFusedAttentionKernels } from './kernels/fused-attention';
import { registerFusedDenseKernels } from './kernels/fused-dense';
import { registerFusedGateKernels } from './kernels/fused-gate';
import { registerFusedSigmoidLinearKernels } from './kernels/fused-gelu';
import { registerFusedNormKernels } from './kernels/fused-norm';
import { stopGemmTeams } from './kernels/gemm-team';
import { nativeGemmChoice, startNativeGemm, stopNativeGemm, type NativeGemmChoice } from './kernels/native-gemm';
import { nativeKernelsChoice, startNativeKernels, stopNativeKernels, type NativeKernelsChoice } from './kernels/native-kernels';
import { registerFusedOptimizerKernels } from './kernels/fused-optimizer';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** The tfjs backend that runs, as `tf.getBackend()` names it. */
  name: BackendName;
  /** Worker threads doing the arithmetic (1 for the plain JS backend). */
  threads: number;
  simd: boolean;
  /** Which package provides it, with its version, e.g. `@tensorflow/tfjs-backend-wasm@4.22.0 (threaded-simd, kernel overrides)`. */
  version: string;
}

export interface InitBackendOptions {
  /** Force a backend; by default the fastest available is chosen. */
  prefer?: BackendName;
  /**
   * WebAssembly threads; default `FORGE_ML_THREADS` or 2 (both cores of the target machine),
   * capped at the logical cores. On a machine crowded with other processes 1 can be faster:
   * every kernel waits for its slowest thread.
   */
  threads?: number;
  /**
   * Our wasm kernel overrides; default true. `false` runs the stock 4.22 kernels, which only
   * benchmarks comparing against them should want.
   */
  kernelOverrides?: boolean;
  /**
   * With more than one thread, give the thread pool only to work that pays for waking it (large
   * matrix products); default true. `false` lets every op use the pool (stock behaviour).
   */
  gateThreads?: boolean;
  /**
   * Where matrix products run (kernels/native-gemm.ts): `auto` (OpenBLAS, else onnxruntime-node,
   * else our kernels), one provider by name, or `wasm` for our kernels only; default
   * `FORGE_ML_GEMM`, else `auto`. Needs kernel overrides.
   */
  gemm?: NativeGemmChoice;
  /**
   * Kernels in C compiled for this CPU on first use (kernels/native-kernels.ts): `auto` when a C
   * compiler is there, `off` never; default `FORGE_ML_NATIVE_KERNELS`, else `auto`. Needs kernel
   * overrides.
   */
  nativeKernels?: NativeKernelsChoice;
  /** Where the one start-up line goes; default stderr. */
  log?: (line: string) => void;
}

// tfjs-node registers the `tensorflow` backend when required; both are optional and not
// installable everywhere, so they are looked up at run time.
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];
const WASM_PACKAGE_VERSION = '4.22.0';

let current: Promise<BackendInfo> | undefined;
let info: BackendInfo | undefined;
let wasmModule: WasmModule | undefined;
/** Why the C kernels did not load under `auto` (logged at start-up, not recorded in events). */
let nativeKernelsReason: string | undefined;

/**
 * Selects and starts the fastest tfjs backend: `tensorflow` (tfjs-node), else WebAssembly with
 * our kernel overrides on both cores, else the plain JS `cpu` backend. Idempotent: later calls
 * return the first call's result.
 */
export function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  if (!current) {
    current = start(options).then(
      (started) => {
        info = started;
        (options.log ?? ((l: string) => process.stderr.write(l + '\n')))(
          `ml backend: ${started.name} (${started.version}, ${started.threads} thread${started.threads === 1 ? '' : 's'}${started.simd ? ', simd' : ''})${nativeKernelsReason ? `; no C kernels: ${nativeKernelsReason}` : ''}`,
        );
        return started;
      },
      (err) => {
        current = undefined;
        throw err;
      },
    );
  }
  return current;
}

/** The running backend, for training events. Throws if `initBackend()` has not finished. */
export function backendInfo(): BackendInfo {
  if (!info) throw Object.assign(new Error('ml backend not initialised: await initBackend() first'), { code: 'BACKEND_NOT_READY' });
  return { ...info };
}

/**
 * Disposes the backend and stops its worker threads so the process can exit.
 * `initBackend()` may be called again afterwards.
 */
export async function shutdownBackend(): Promise<void> {
  if (current) await current.catch(() => undefined);
  openThreadGate();
  stopGemmTeams();
  stopNativeGemm();
  stopNativeKernels();
  nativeKernelsReason = undefined;
  if (info && tf.findBackend(info.name)) tf.removeBackend(info.name);
  current = undefined;
  info = undefined;
  wasmModule = undefined;
}

/** The emscripten module behind the fast wasm backend (for kernels and benchmarks). */
export function activeWasmModule(): WasmModule | undefined {
  return wasmModule;
}

async function start(options: InitBackendOptions): Promise<BackendInfo> {
  registerFusedOptimizerKernels();
  registerFusedNormKernels();
  registerFusedGateKernels();
  registerFusedAttentionKernels();
  registerFusedDenseKernels();
  registerFusedSigmoidLinearKernels();
  const prefer = options.prefer;
  if (prefer === undefined || prefer === 'tensorflow') {
    const native = await tryNative();
    if (native) return native;
    if (prefer === 'tensorflow') throw Object.assign(new Error(`backend 'tensorflow' requested but neither ${NATIVE_PACKAGES.join(' nor ')} can be loaded`), { code: 'BACKEND_UNAVAILABLE' });
  }
  if (prefer === undefined || prefer === 'wasm') {
    try {
      return await startWasm(options.threads ?? threadsFromEnvironment(), options.kernelOverrides ?? true, options.gateThreads ?? true, options.gemm ?? nativeGemmChoice(), options.nativeKernels ?? nativeKernelsChoice());
    } catch (err) {
      // A GEMM provider asked for by name must not be silently replaced by the slow JS backend.
      if (prefer === 'wasm' || (err as { code?: string }).code === 'GEMM_UNAVAILABLE') throw err;
      (options.log ?? ((l: string) => process.stderr.write(l + '\n')))(`ml backend: wasm failed to start (${(err as Error).message}); using cpu`);
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  shareSavedTensorsOn('cpu');
  return { name: 'cpu', threads: 1, simd: false, version: `@tensorflow/tfjs-backend-cpu@${tf.version_core}` };
}

function threadsFromEnvironment(): number {
  const raw = process.env.FORGE_ML_THREADS;
  if (raw === undefined || raw === '') return 2;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw Object.assign(new Error(`FORGE_ML_THREADS must be a positive integer, got '${raw}'`), { code: 'INVALID_CONFIG' });
  return n;
}

async function tryNative(): Promise<BackendInfo | undefined> {
  for (const pkg of NATIVE_PACKAGES) {
    let loaded: { version?: { 'tfjs-node'?: string } };
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require(pkg);
    } catch {
      continue;
    }
    // tfjs-node registers 'tensorflow' against its own tfjs-core; it only helps if that is ours.
    if (!tf.findBackendFactory('tensorflow')) continue;
    await tf.setBackend('tensorflow');
    await tf.ready();
    return { name: 'tensorflow', threads: 0, simd: true, version: `${pkg}@${loaded.version?.['tfjs-node'] ?? 'unknown'}` };
  }
  return undefined;
}

async function startWasm(requestedThreads: number, overrides: boolean, gateThreads: boolean, gemm: NativeGemmChoice, nativeKernels: NativeKernelsChoice): Promise<BackendInfo> {
  // The C++ side runs at most 4 threads; more than the machine's cores would only contend.
  const threads = Math.max(1, Math.min(Math.floor(requestedThreads), 4, os.cpus().length));
  let module: WasmModule;
  let build: string;
  if (threads > 1) {
    try {
      module = await loadThreadedSimdModule(threads);
      build = 'threaded-simd';
    } catch {
      module = await loadSimdModule();
      build = 'simd, threads unavailable';
    }
  } else {
    module = await loadSimdModule();
    build = 'simd';
  }
  // The package registered its own 'wasm' factory on import; ours replaces it, the kernels stay.
  if (tf.findBackend('wasm') || tf.findBackendFactory('wasm')) tf.removeBackend('wasm');
  setThreadsCount(threads);
  tf.registerBackend('wasm', () => new BackendWasm(module as any), 3);
  if (overrides) registerWasmKernelOverrides();
  const ok = await tf.setBackend('wasm');
  if (!ok) throw new Error('tf.setBackend("wasm") returned false');
  await tf.ready();
  wasmModule = module;
  unrefWorkers(module);
  // Our Identity shares buffers, so tensors saved for gradients can too.
  if (overrides) shareSavedTensorsOn('wasm');
  else cloneSavedTensorsOn('wasm');
  const actualThreads = module.tfjs.getThreadsCount();
  // Small ops run on the calling thread; our GEMM opens the pool for large products.
  const gate = gateThreads && overrides && build === 'threaded-simd' ? closeThreadGate(module, threadedSimdWasmFile()) : undefined;
  setActiveThreadGate(module, gate);
  const threading = actualThreads > 1 ? (gate ? ', threads for large products' : ', threads for every op') : '';
  // Matrix products on native code when the machine has it (kernels/native-gemm.ts).
  const native = overrides ? startNativeGemm(gemm, actualThreads).gemm : undefined;
  const products = native ? `, products ≥ 2^${Math.log2(native.minMacs)} multiply-adds on ${native.provider} (${native.threads} threads)` : '';
  const c = overrides ? startNativeKernels(nativeKernels) : {};
  if (c.reason && nativeKernels === 'auto') nativeKernelsReason = c.reason;
  const cKernels = c.kernels ? `, C kernels (${c.kernels.name})` : '';
  return { name: 'wasm', threads: actualThreads, simd: true, version: `@tensorflow/tfjs-backend-wasm@${WASM_PACKAGE_VERSION} (${build}${overrides ? ', kernel overrides' : ', stock kernels'}${threading}${products}${cKernels})` };
}
