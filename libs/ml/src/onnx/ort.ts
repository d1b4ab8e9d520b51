// onnxruntime-node is an optional dependency: it is required at run time, and only the few types
// used here are declared, so the library builds and runs without it. Sessions run through the
// package's native binding, which is synchronous (its public InferenceSession only wraps each call
// in a Promise), so Generator.sample can stay synchronous; the version is pinned in package.json.

export interface OrtSessionOptions {
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  executionMode?: 'sequential' | 'parallel';
  /** 3 = errors only. */
  logSeverityLevel?: number;
}

/** What the binding reads from an input and returns for an output. */
export interface OrtTensor {
  type: 'float32';
  dims: readonly number[];
  data: Float32Array;
  location?: 'cpu';
}

interface BindingSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: OrtSessionOptions): void;
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, null>, options: object): Record<string, OrtTensor>;
  dispose(): void;
}

interface OrtBinding {
  binding: { InferenceSession: new () => BindingSession };
  initOrt(): void;
}

/** A loaded model: run() blocks until ORT has computed the outputs. */
export interface OrtSession {
  run(feeds: Record<string, OrtTensor>, outputs: readonly string[]): Record<string, OrtTensor>;
  release(): void;
}

export interface OrtRuntime {
  /** e.g. `onnxruntime-node@1.30.0`. */
  version: string;
  createSession(model: Uint8Array, options: OrtSessionOptions): OrtSession;
}

let cached: OrtRuntime | undefined;
let failure: Error | undefined;

function load(): OrtRuntime {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const ort = require('onnxruntime-node/dist/binding') as OrtBinding;
  const { version } = require('onnxruntime-node/package.json') as { version: string };
  /* eslint-enable @typescript-eslint/no-require-imports */
  ort.initOrt();
  return {
    version: `onnxruntime-node@${version}`,
    createSession(model, options) {
      const session = new ort.binding.InferenceSession();
      session.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, { logSeverityLevel: 3, ...options });
      return {
        run: (feeds, outputs) => session.run(feeds, Object.fromEntries(outputs.map((o) => [o, null])), {}),
        release: () => session.dispose(),
      };
    },
  };
}

/** onnxruntime-node, or a clear ORT_UNAVAILABLE error when it is not installed or cannot load. */
export function loadOrt(): OrtRuntime {
  if (cached) return cached;
  if (!failure) {
    try {
      cached = load();
      return cached;
    } catch (err) {
      failure = err as Error;
    }
  }
  throw Object.assign(
    new Error(`ONNX sampling needs the optional package onnxruntime-node (listed in optionalDependencies; npm install adds it), which could not be loaded: ${failure?.message.split('\n')[0]}`),
    { code: 'ORT_UNAVAILABLE' },
  );
}

/** Whether onnxruntime-node loads here (never throws). */
export function ortAvailable(): boolean {
  try {
    loadOrt();
    return true;
  } catch {
    return false;
  }
}

/** Session options for sampling: FORGE_ML_THREADS (default 2) intra-op threads, every graph optimisation. */
export function samplingSessionOptions(): OrtSessionOptions {
  const raw = process.env.FORGE_ML_THREADS;
  const threads = raw === undefined || raw === '' ? 2 : Number(raw);
  if (!Number.isInteger(threads) || threads < 1) throw Object.assign(new Error(`FORGE_ML_THREADS must be a positive integer, got '${raw}'`), { code: 'INVALID_INPUT' });
  return { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' };
}
