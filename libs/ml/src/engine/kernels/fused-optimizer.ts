import * as tf from '@tensorflow/tfjs-core';
import { getKernel, KernelFunc, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { AnyBackend, registerOnWasmAndCpu, withOutputs } from './js-kernel';
import { simdOptimFor } from './simd-optim';
import { nativeKernelsOn } from './native-kernels';
import { dataOf, floatOffset, heapAllF32 } from './wasm-heap';

// The optimizer step and the EMA update as one kernel each, for every variable at once. Done
// with tfjs ops, Adam with global-norm clipping costs ~15 small ops per variable (≈1,350 kernel
// calls for the demo DiT's 79 variables, a third of its training step) and the EMA 3 more; each
// op's bookkeeping costs more than its arithmetic. Registered for the wasm and cpu backends
// (both keep tensors in JS-visible memory); other backends keep the op-by-op path. On wasm: the C
// kernels when loaded (native-kernels.ts, one call for all variables), else our SIMD module.

export const ADAM_STEP = 'ForgeAdamStep';
export const EMA_UPDATE = 'ForgeEmaUpdate';

export interface AdamStepAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1-based step number (bias correction uses β^step). */
  step: number;
  /** Clip the global gradient norm to this value first; 0 disables clipping. */
  clipNorm: number;
  /** Per variable: the factor the updated value is multiplied by (decoupled weight decay; 1 = none). */
  keep: number[];
}

function listed(inputs: Record<string, TensorInfo | undefined>, prefix: string, count: number): TensorInfo[] {
  return Array.from({ length: count }, (_, i) => {
    const t = inputs[`${prefix}${i}`];
    if (!t) throw new Error(`fused optimizer kernel: input ${prefix}${i} is missing`);
    return t;
  });
}

/**
 * Inputs p0…, g0…, m0…, v0… (values, gradients, first and second moments); outputs the new
 * values, first moments, second moments (in that order) and the global gradient norm before
 * clipping. Same arithmetic as clipByGlobalNorm followed by tf.train.adam and AdamW's decay.
 */
const adamStep: KernelFunc = ({ inputs, backend, attrs }) => {
  const a = attrs as unknown as AdamStepAttrs;
  const n = a.keep.length;
  const ins = inputs as Record<string, TensorInfo | undefined>;
  const params = listed(ins, 'p', n);
  const all = [...params, ...listed(ins, 'g', n), ...listed(ins, 'm', n), ...listed(ins, 'v', n)];
  const shapes = [...params, ...params, ...params].map((t) => [...t.shape]);
  const lrOverC1 = a.learningRate / (1 - a.beta1 ** a.step);
  const invC2 = 1 / (1 - a.beta2 ** a.step);
  const c = nativeKernelsOn(backend);
  if (c) {
    const wasm = backend as BackendWasm;
    const outs = [...shapes, []].map((shape) => wasm.makeOutput(shape, 'float32'));
    const at = (t: TensorInfo) => floatOffset(wasm, t);
    const offsets = Int32Array.from({ length: 7 * n }, (_, j) => {
      const [i, role] = [Math.floor(j / 7), j % 7];
      return at(role < 4 ? all[role * n + i] : outs[(role - 4) * n + i]); // p, g, m, v, then p', m', v'
    });
    const sizes = Int32Array.from(params, (t) => util.sizeFromShape(t.shape));
    const heap = heapAllF32(wasm);
    heap[at(outs[3 * n])] = c.adam(heap, offsets, sizes, Float32Array.from(a.keep), n, a.clipNorm, a.beta1, a.beta2, lrOverC1, invC2, a.epsilon);
    return outs;
  }
  const kernel = (backend as AnyBackend).wasm ? simdOptimFor(backend as BackendWasm) : undefined;
  if (kernel) {
    const wasm = backend as BackendWasm;
    const outs = [...shapes, []].map((shape) => wasm.makeOutput(shape, 'float32'));
    const addr = (t: TensorInfo) => dataOf(wasm, t).memoryOffset;
    let squares = 0;
    for (let i = 0; i < n; i++) squares += kernel.sumSquares(addr(all[n + i]), params[i].shape.reduce((x, y) => x * y, 1));
    const norm = Math.sqrt(squares);
    const scale = a.clipNorm > 0 ? a.clipNorm / Math.max(norm, a.clipNorm) : 1;
    for (let i = 0; i < n; i++) {
      const size = params[i].shape.reduce((x, y) => x * y, 1);
      kernel.adam(addr(all[i]), addr(all[n + i]), addr(all[2 * n + i]), addr(all[3 * n + i]), addr(outs[i]), addr(outs[n + i]), addr(outs[2 * n + i]), size, scale, a.beta1, a.beta2, lrOverC1, invC2, a.epsilon, a.keep[i]);
    }
    (wasm.typedArrayFromHeap(outs[3 * n]) as Float32Array)[0] = norm;
    return outs;
  }
  return withOutputs(backend as AnyBackend, all, [...shapes, []], (x, out) => {
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const g = x[n + i];
      for (let j = 0; j < g.length; j++) squares += g[j] * g[j];
    }
    const norm = Math.sqrt(squares);
    const scale = a.clipNorm > 0 ? a.clipNorm / Math.max(norm, a.clipNorm) : 1;
    const { beta1, beta2, epsilon, learningRate } = a;
    const correction1 = 1 - beta1 ** a.step;
    const correction2 = 1 - beta2 ** a.step;
    for (let i = 0; i < n; i++) {
      const [p, g, m, v] = [x[i], x[n + i], x[2 * n + i], x[3 * n + i]];
      const [pOut, mOut, vOut] = [out[i], out[n + i], out[2 * n + i]];
      const keep = a.keep[i];
      for (let j = 0; j < p.length; j++) {
        const gj = g[j] * scale;
        const mj = beta1 * m[j] + (1 - beta1) * gj;
        const vj = beta2 * v[j] + (1 - beta2) * gj * gj;
        mOut[j] = mj;
        vOut[j] = vj;
        pOut[j] = (p[j] - (learningRate * (mj / correction1)) / (Math.sqrt(vj / correction2) + epsilon)) * keep;
      }
    }
    out[3 * n][0] = norm;
  });
};

/** Inputs e0…, s0… (averages and sources); outputs decay·e + (1 − decay)·s per pair. */
const emaUpdate: KernelFunc = ({ inputs, backend, attrs }) => {
  const { decay, count } = attrs as unknown as { decay: number; count: number };
  const ins = inputs as Record<string, TensorInfo | undefined>;
  const averages = listed(ins, 'e', count);
  const sources = listed(ins, 's', count);
  const c = nativeKernelsOn(backend);
  if (c) {
    const wasm = backend as BackendWasm;
    const outs = averages.map((t) => wasm.makeOutput([...t.shape], 'float32'));
    const at = (t: TensorInfo) => floatOffset(wasm, t);
    const offsets = Int32Array.from({ length: 3 * count }, (_, j) => at([averages, sources, outs][j % 3][Math.floor(j / 3)]));
    c.ema(heapAllF32(wasm), offsets, Int32Array.from(averages, (t) => util.sizeFromShape(t.shape)), count, decay);
    return outs;
  }
  const kernel = (backend as AnyBackend).wasm ? simdOptimFor(backend as BackendWasm) : undefined;
  if (kernel) {
    const wasm = backend as BackendWasm;
    const outs = averages.map((t) => wasm.makeOutput([...t.shape], 'float32'));
    const addr = (t: TensorInfo) => dataOf(wasm, t).memoryOffset;
    averages.forEach((t, i) => kernel.ema(addr(t), addr(sources[i]), addr(outs[i]), t.shape.reduce((x, y) => x * y, 1), decay));
    return outs;
  }
  return withOutputs(backend as AnyBackend, [...averages, ...sources], averages.map((t) => [...t.shape]), (x, out) => {
    for (let i = 0; i < count; i++) {
      const [e, s, o] = [x[i], x[count + i], out[i]];
      for (let j = 0; j < e.length; j++) o[j] = e[j] * decay + s[j] * (1 - decay);
    }
  });
};

/** Registers both kernels for the wasm and cpu backends (idempotent). */
export function registerFusedOptimizerKernels(): void {
  registerOnWasmAndCpu({ [ADAM_STEP]: adamStep, [EMA_UPDATE]: emaUpdate });
}

/** True when the running backend has the fused kernels. */
export function hasFusedOptimizer(): boolean {
  return getKernel(ADAM_STEP, tf.getBackend()) !== undefined;
}

/**
 * One clipped Adam(W) step for all variables as one kernel call: new values, moments and the
 * gradient norm before clipping (tensors tracked by the current scope).
 */
export function fusedAdamStep(
  params: readonly tf.Tensor[],
  grads: readonly tf.Tensor[],
  firstMoments: readonly tf.Tensor[],
  secondMoments: readonly tf.Tensor[],
  attrs: AdamStepAttrs,
): { params: tf.Tensor[]; firstMoments: tf.Tensor[]; secondMoments: tf.Tensor[]; norm: tf.Scalar } {
  const n = params.length;
  if (grads.length !== n || firstMoments.length !== n || secondMoments.length !== n || attrs.keep.length !== n) {
    throw Object.assign(new Error(`fusedAdamStep: ${n} values but ${grads.length} gradients, ${firstMoments.length} and ${secondMoments.length} moments, ${attrs.keep.length} decay factors`), { code: 'INVALID_INPUT' });
  }
  const inputs: tf.NamedTensorMap = {};
  params.forEach((t, i) => {
    if (!util.arraysEqual(t.shape, grads[i].shape)) throw Object.assign(new Error(`fusedAdamStep: variable ${i} is ${JSON.stringify(t.shape)} but its gradient ${JSON.stringify(grads[i].shape)}`), { code: 'INVALID_INPUT' });
    inputs[`p${i}`] = t;
    inputs[`g${i}`] = grads[i];
    inputs[`m${i}`] = firstMoments[i];
    inputs[`v${i}`] = secondMoments[i];
  });
  const out = tf.engine().runKernel(ADAM_STEP, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { params: out.slice(0, n), firstMoments: out.slice(n, 2 * n), secondMoments: out.slice(2 * n, 3 * n), norm: out[3 * n] as tf.Scalar };
}

/** decay·average + (1 − decay)·source for every pair, as one kernel call. */
export function fusedEmaUpdate(averages: readonly tf.Tensor[], sources: readonly tf.Tensor[], decay: number): tf.Tensor[] {
  if (averages.length !== sources.length) throw Object.assign(new Error(`fusedEmaUpdate: ${averages.length} averages but ${sources.length} sources`), { code: 'INVALID_INPUT' });
  const inputs: tf.NamedTensorMap = {};
  averages.forEach((t, i) => {
    if (!util.arraysEqual(t.shape, sources[i].shape)) throw Object.assign(new Error(`fusedEmaUpdate: average ${i} is ${JSON.stringify(t.shape)} but its source ${JSON.stringify(sources[i].shape)}`), { code: 'INVALID_INPUT' });
    inputs[`e${i}`] = t;
    inputs[`s${i}`] = sources[i];
  });
  return tf.engine().runKernel(EMA_UPDATE, inputs, { decay, count: averages.length }) as tf.Tensor[];
}
