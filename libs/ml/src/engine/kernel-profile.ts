import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';

// Per-kernel wall time of a computation on the running backend. wasm and cpu kernels run
// synchronously, so the time around each kernel function is the kernel's time. Every kernel
// registered for the backend is wrapped while `fn` runs and restored afterwards.

export interface KernelStats {
  name: string;
  calls: number;
  ms: number;
  /** Floating-point operations (matrix products only). */
  flops: number;
  /** Bytes read and written (inputs + outputs, 4 bytes per element). */
  bytes: number;
}

/** One matrix-product signature seen while profiling, with how often it ran. */
export interface MatMulCall {
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
  calls: number;
  ms: number;
}

export interface KernelProfile<T> {
  result: T;
  /** Wall time of the whole call. */
  totalMs: number;
  /** Sum over kernels (the rest is tfjs bookkeeping: tape, tidy, shape checks, JS glue). */
  kernelMs: number;
  /** Most expensive first. */
  kernels: KernelStats[];
  /** Every distinct matrix product (BatchMatMul, _FusedMatMul), most expensive first. */
  matMuls: MatMulCall[];
}

const MATMUL_KERNELS = new Set(['BatchMatMul', '_FusedMatMul']);

function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** 2·batch·M·N·K of a (batched) product: two operations per output element and inner index. */
function matMulKernelFlops(a: readonly number[], transposeA: boolean, outSize: number): number {
  const k = transposeA ? a[a.length - 2] : a[a.length - 1];
  return 2 * outSize * k;
}

export interface ProfileOptions {
  /** Also split kernels by input shapes and attributes (e.g. every matMul variant on its own row). */
  byShape?: boolean;
}

function shapeKey(attrMap: tf.NamedAttrMap | undefined, inputs: tf.TensorInfo[]): string {
  const attrs = Object.entries(attrMap ?? {})
    .filter(([, v]) => typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string' || Array.isArray(v))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return ` ${inputs.map((t) => `[${t.shape.join(',')}]`).join('·')}${attrs.length ? ` ${attrs.join(' ')}` : ''}`;
}

/** Runs `fn` with every kernel of the current backend timed. Kernels called by kernels count in their caller. */
export function profileKernels<T>(fn: () => T, options: ProfileOptions = {}): KernelProfile<T> {
  const backendName = tf.getBackend();
  const stats = new Map<string, KernelStats>();
  const matMuls = new Map<string, MatMulCall>();
  const configs = tf.getKernelsForBackend(backendName);
  const originals = configs.map((c) => c.kernelFunc);
  let depth = 0;
  configs.forEach((config, i) => {
    const original = originals[i];
    const wrapped: tf.KernelFunc = (args) => {
      if (depth > 0) return original(args);
      depth++;
      const t0 = performance.now();
      let out: ReturnType<tf.KernelFunc>;
      try {
        out = original(args);
      } finally {
        depth--;
      }
      const ms = performance.now() - t0;
      const inputs = Object.values(args.inputs).filter((t): t is tf.TensorInfo => t !== undefined && t !== null);
      const outputs = Array.isArray(out) ? out : [out];
      let bytes = 0;
      for (const t of [...inputs, ...outputs]) bytes += 4 * size(t.shape);
      let flops = 0;
      if (MATMUL_KERNELS.has(config.kernelName)) {
        const { transposeA } = args.attrs as { transposeA?: boolean };
        const { transposeB } = args.attrs as { transposeB?: boolean };
        const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
        flops = matMulKernelFlops(a.shape, !!transposeA, size(outputs[0].shape));
        const signature = `${a.shape}|${b.shape}|${!!transposeA}|${!!transposeB}`;
        const call = matMuls.get(signature) ?? { a: [...a.shape], b: [...b.shape], transposeA: !!transposeA, transposeB: !!transposeB, calls: 0, ms: 0 };
        call.calls++;
        call.ms += ms;
        matMuls.set(signature, call);
      }
      const key = options.byShape ? config.kernelName + shapeKey(args.attrs, inputs) : config.kernelName;
      const s = stats.get(key) ?? { name: key, calls: 0, ms: 0, flops: 0, bytes: 0 };
      s.calls++;
      s.ms += ms;
      s.flops += flops;
      s.bytes += bytes;
      stats.set(key, s);
      return out;
    };
    (config as { kernelFunc: tf.KernelFunc }).kernelFunc = wrapped;
  });
  const t0 = performance.now();
  let result: T;
  try {
    result = fn();
  } finally {
    configs.forEach((config, i) => ((config as { kernelFunc: tf.KernelFunc }).kernelFunc = originals[i]));
  }
  const totalMs = performance.now() - t0;
  const kernels = [...stats.values()].sort((x, y) => y.ms - x.ms);
  return { result, totalMs, kernelMs: kernels.reduce((s, k) => s + k.ms, 0), kernels, matMuls: [...matMuls.values()].sort((x, y) => y.ms - x.ms) };
}
