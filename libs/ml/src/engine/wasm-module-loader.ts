import type * as os from 'node:os';
import * as path from 'node:path';
import { Worker, WorkerOptions } from 'node:worker_threads';

// The package's own loader refuses threads in Node (it checks IS_NODE) and hands pthread
// workers Blob URLs that `worker_threads` cannot load. We start the emscripten factories
// ourselves with real file paths instead.

/** The emscripten module plus the small C API BackendWasm expects under `tfjs`. */
export interface WasmModule {
  tfjs: {
    init(): void;
    initWithThreadsCount(n: number): void;
    getThreadsCount(): number;
    registerTensor(id: number, size: number, memoryOffset: number): void;
    disposeData(id: number): void;
    dispose(): void;
  };
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: any[]) => any;
  HEAPU8: Uint8Array;
  HEAPF32: Float32Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  PThread?: { terminateAllThreads?: () => void; unusedWorkers: { unref(): void }[]; runningWorkers: { unref(): void }[] };
}

type Factory = (config: Record<string, unknown>) => Promise<WasmModule>;

export function wasmOutDir(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js'));
}

export function threadedSimdWasmFile(): string {
  return path.join(wasmOutDir(), 'tfjs-backend-wasm-threaded-simd.wasm');
}

/**
 * The pthread worker script ships as a JS string meant for a Blob URL, which `worker_threads`
 * cannot load. Emscripten creates its workers with `new Worker(path)` through the global
 * `Worker`, so while the module starts we hand it a Worker that evaluates the script instead:
 * nothing is written to disk.
 */
function evalWorkerClass(dir: string): typeof Worker {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { wasmWorkerContents } = require(path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  // The string was written for a Blob: its "\n" escapes became real newlines inside string literals.
  const source = wasmWorkerContents.replace(/\n/g, '\\n');
  return class EvalWorker extends Worker {
    constructor(_file: string, options: WorkerOptions = {}) {
      super(source, { ...options, eval: true });
    }
  };
}

function attachCApi(module: WasmModule): WasmModule {
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  return module;
}

/**
 * Starts the threaded-SIMD build. The C++ side sizes its thread pool from half the logical
 * cores it sees (it assumes hyper-threading), so on a 2-vCPU machine it would pick 1 thread;
 * we show it `threads * 2` cores while the module initialises.
 */
export async function loadThreadedSimdModule(threads: number): Promise<WasmModule> {
  const dir = wasmOutDir();
  const mainScript = path.join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  const EvalWorker = evalWorkerClass(dir);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const factory = require(mainScript) as Factory;
  // The real module object (an `import * as` namespace would be a copy under esModuleInterop).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const osModule = require('node:os') as { cpus: typeof os.cpus };
  const realCpus = osModule.cpus;
  const wanted = Math.max(1, threads) * 2;
  osModule.cpus = () => {
    const seen = realCpus();
    return Array.from({ length: wanted }, (_, i) => seen[i % seen.length]);
  };
  // The module assigns `global.Worker` itself and then allocates its whole worker pool (8, more
  // than the 4 threads we allow) during the factory call; a getter/setter pair keeps ours in place.
  const previousWorker = Object.getOwnPropertyDescriptor(globalThis, 'Worker');
  Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => EvalWorker, set: () => undefined });
  try {
    const module = await factory({
      locateFile: (file: string) => {
        if (file.endsWith('.wasm')) return threadedSimdWasmFile();
        return path.join(dir, file);
      },
      // Workers importScripts() this path with fs, so it must be a real file.
      mainScriptUrlOrBlob: mainScript,
    });
    return attachCApi(module);
  } finally {
    osModule.cpus = realCpus;
    if (previousWorker) Object.defineProperty(globalThis, 'Worker', previousWorker);
    else delete (globalThis as { Worker?: unknown }).Worker;
  }
}

/** Single-thread SIMD build (the fallback when worker threads cannot start). */
export async function loadSimdModule(): Promise<WasmModule> {
  const dir = wasmOutDir();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const factory = require(path.join(dir, 'tfjs-backend-wasm.js')) as Factory;
  const module = await factory({
    locateFile: (file: string) => (file.endsWith('.wasm') ? path.join(dir, 'tfjs-backend-wasm-simd.wasm') : path.join(dir, file)),
  });
  return attachCApi(module);
}

/** Lets the process exit while idle pthread workers exist (they are ref'ed again when they run). */
export function unrefWorkers(module: WasmModule): void {
  const pthread = module.PThread;
  if (!pthread) return;
  for (const w of [...pthread.unusedWorkers, ...pthread.runningWorkers]) w.unref();
}
