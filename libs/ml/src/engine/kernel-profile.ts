import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { ATTENTION, ATTENTION_GRAD, AttentionAttrs } from './kernels/fused-attention';
import { DENSE, DENSE_FAN, DENSE_FAN_GRAD, DENSE_GRAD, type DenseFanAttrs } from './kernels/fused-dense';

// Per-kernel wall time of a computation on the running backend. wasm and cpu kernels run
// synchronously, so the time around each kernel function is the kernel's time. Every kernel
// registered for the backend is wrapped while `fn` runs and restored afterwards.

export interface KernelStats {
  name: string;
  calls: number;
  ms: number;
  /** Floating-point operations (matrix products only, also those of the kernels it called). */
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
  /**
   * Every distinct matrix product, most expensive first: BatchMatMul and _FusedMatMul calls, also
   * those made inside fused kernels, and the products the fused attention kernels compute.
   */
  matMuls: MatMulCall[];
}

type Product = Omit<MatMulCall, 'calls' | 'ms'>;

/** The products one kernel call computes, from its inputs and attributes. */
function productsOf(kernelName: string, inputs: Record<string, tf.TensorInfo>, attrs: tf.NamedAttrMap | undefined): Product[] {
  if (kernelName === 'BatchMatMul' || kernelName === '_FusedMatMul') {
    const { transposeA, transposeB } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    return [{ a: [...inputs.a.shape], b: [...inputs.b.shape], transposeA: !!transposeA, transposeB: !!transposeB }];
  }
  if (kernelName === ATTENTION || kernelName === ATTENTION_GRAD) {
    // Per head: scores q·kᵀ and output p·v; the gradient: pᵀ·dy, dy·vᵀ, ds·k, dsᵀ·q.
    const { batch, heads } = attrs as unknown as AttentionAttrs;
    const [tq, tk, hd] = [inputs.q.shape[0] / batch, inputs.k.shape[0] / batch, inputs.q.shape[1] / heads];
    const bh = batch * heads;
    const q = [bh, tq, hd];
    const k = [bh, tk, hd];
    const p = [bh, tq, tk];
    const product = (a: number[], b: number[], transposeA: boolean, transposeB: boolean): Product => ({ a, b, transposeA, transposeB });
    if (kernelName === ATTENTION) return [product(q, k, false, true), product(p, k, false, false)];
    return [product(p, q, true, false), product(q, k, false, true), product(p, k, false, false), product(p, q, true, false)];
  }
  if (kernelName === DENSE) return [{ a: [...inputs.x.shape], b: [...inputs.w.shape], transposeA: false, transposeB: false }];
  if (kernelName === DENSE_GRAD) {
    // dx = dy·wᵀ, dw = xᵀ·dy (db is a sum, or a product with a vector of ones: not counted)
    const [dy, x, w] = [[...inputs.dy.shape], [...inputs.x.shape], [...inputs.w.shape]];
    return [{ a: dy, b: w, transposeA: false, transposeB: true }, { a: x, b: dy, transposeA: true, transposeB: false }];
  }
  if (kernelName === DENSE_FAN || kernelName === DENSE_FAN_GRAD) {
    const { count } = attrs as unknown as DenseFanAttrs;
    const list = inputs as unknown as tf.TensorInfo[];
    const x = [...list[0].shape];
    if (kernelName === DENSE_FAN) return list.slice(1, 1 + count).map((w) => ({ a: x, b: [...w.shape], transposeA: false, transposeB: false }));
    // Per layer, as DENSE_GRAD: dx += dy·wᵀ, dw = xᵀ·dy.
    return list.slice(1, 1 + count).flatMap((dy, i) => [
      { a: [...dy.shape], b: [...list[1 + count + i].shape], transposeA: false, transposeB: true },
      { a: x, b: [...dy.shape], transposeA: true, transposeB: false },
    ]);
  }
  return [];
}

/** Fused kernels that name their own products: products of kernels they call are theirs already. */
const DECLARES_PRODUCTS = new Set([DENSE, DENSE_GRAD, DENSE_FAN, DENSE_FAN_GRAD, ATTENTION, ATTENTION_GRAD]);

function productFlops(p: Product): number {
  const m = p.transposeA ? p.a[p.a.length - 1] : p.a[p.a.length - 2];
  const n = p.transposeB ? p.b[p.b.length - 2] : p.b[p.b.length - 1];
  const batch = Math.max(size(p.a.slice(0, -2)), size(p.b.slice(0, -2)));
  return matMulKernelFlops(p.a, p.transposeA, batch * m * n);
}

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
  const recordProducts = (products: Product[], ms: number): number => {
    const flops = products.map(productFlops);
    const total = flops.reduce((a, b) => a + b, 0);
    products.forEach((p, i) => {
      const signature = `${p.a}|${p.b}|${p.transposeA}|${p.transposeB}`;
      const call = matMuls.get(signature) ?? { ...p, calls: 0, ms: 0 };
      call.calls++;
      call.ms += total > 0 ? (ms * flops[i]) / total : 0;
      matMuls.set(signature, call);
    });
    return total;
  };
  let depth = 0;
  /** How many running kernels name their own products (inside them, nested products are not counted again). */
  let declaring = 0;
  /** Product flops of kernels called by the running outermost kernel. */
  let nestedFlops = 0;
  configs.forEach((config, i) => {
    const original = originals[i];
    const declares = DECLARES_PRODUCTS.has(config.kernelName);
    const wrapped: tf.KernelFunc = (args) => {
      const nested = depth > 0;
      const counted = declaring === 0;
      if (!nested) nestedFlops = 0;
      depth++;
      if (declares) declaring++;
      const t0 = performance.now();
      let out: ReturnType<tf.KernelFunc>;
      try {
        out = original(args);
      } finally {
        depth--;
        if (declares) declaring--;
      }
      const ms = performance.now() - t0;
      const ownFlops = counted ? recordProducts(productsOf(config.kernelName, args.inputs as Record<string, tf.TensorInfo>, args.attrs), ms) : 0;
      if (nested) {
        // Its time counts in the caller's; its products count as the caller's.
        nestedFlops += ownFlops;
        return out;
      }
      const flops = ownFlops + nestedFlops;
      const inputs = Object.values(args.inputs).filter((t): t is tf.TensorInfo => t !== undefined && t !== null);
      const outputs = Array.isArray(out) ? out : [out];
      let bytes = 0;
      for (const t of [...inputs, ...outputs]) bytes += 4 * size(t.shape);
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
