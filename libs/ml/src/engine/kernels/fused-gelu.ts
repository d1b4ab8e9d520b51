import * as tf from '@tensorflow/tfjs-core';
import { getKernel, KernelFunc, registerGradient, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { AnyBackend, registerOnWasmAndCpu, withOutputs } from './js-kernel';
import { GELU_SLOPE, simdGeluFor } from './simd-gelu';
import { nativeKernelsOn } from './native-kernels';
import { dataOf, floatOffset, heapAllF32 } from './wasm-heap';

// x·σ(k·x) in one kernel and its gradient in one more: GELU in its sigmoid form (k = 1.702) and
// SiLU (k = 1). As tfjs ops it is 2–3 calls forward and ~7 backward. On wasm: the C kernels when
// loaded (native-kernels.ts), else our SIMD module, else JS loops.

export const SIGMOID_LINEAR = 'ForgeSigmoidLinear';
export const SIGMOID_LINEAR_GRAD = 'ForgeSigmoidLinearGrad';

export interface SigmoidLinearAttrs {
  /** k in x·σ(k·x). */
  slope: number;
}

const sigmoid = (x: number, k: number) => 1 / (1 + Math.exp(-k * x));
const slopeOf = (attrs: unknown) => (attrs as SigmoidLinearAttrs).slope;

function simd(backend: unknown, size: number) {
  return (backend as AnyBackend).wasm && size % 4 === 0 ? simdGeluFor(backend as BackendWasm) : undefined;
}

const forward: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  const k = slopeOf(attrs);
  const size = x.shape.reduce((a, b) => a * b, 1);
  const c = nativeKernelsOn(backend);
  if (c) {
    const wasm = backend as BackendWasm;
    const y = wasm.makeOutput([...x.shape], 'float32');
    c.sigmoidLinear(heapAllF32(wasm), floatOffset(wasm, x), floatOffset(wasm, y), size, k);
    return y;
  }
  const kernel = simd(backend, size);
  if (kernel) {
    const wasm = backend as BackendWasm;
    const y = wasm.makeOutput([...x.shape], 'float32');
    kernel.geluForward(dataOf(wasm, x).memoryOffset, dataOf(wasm, y).memoryOffset, size, k);
    return y;
  }
  return withOutputs(backend as AnyBackend, [x], [[...x.shape]], ([xs], [y]) => {
    for (let i = 0; i < size; i++) y[i] = xs[i] * sigmoid(xs[i], k);
  })[0];
};

const backward: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  const k = slopeOf(attrs);
  const size = x.shape.reduce((a, b) => a * b, 1);
  const c = nativeKernelsOn(backend);
  if (c) {
    const wasm = backend as BackendWasm;
    const dx = wasm.makeOutput([...x.shape], 'float32');
    const at = (t: TensorInfo) => floatOffset(wasm, t);
    c.sigmoidLinearGrad(heapAllF32(wasm), at(dy), at(x), at(dx), size, k);
    return dx;
  }
  const kernel = simd(backend, size);
  if (kernel) {
    const wasm = backend as BackendWasm;
    const dx = wasm.makeOutput([...x.shape], 'float32');
    const at = (t: TensorInfo) => dataOf(wasm, t).memoryOffset;
    kernel.geluBackward(at(dy), at(x), at(dx), size, k);
    return dx;
  }
  return withOutputs(backend as AnyBackend, [dy, x], [[...x.shape]], ([dys, xs], [dx]) => {
    for (let i = 0; i < size; i++) {
      const s = sigmoid(xs[i], k);
      dx[i] = dys[i] * (s + k * xs[i] * s * (1 - s));
    }
  })[0];
};

/** Registers the kernels for wasm and cpu and the gradient (idempotent). */
export function registerFusedSigmoidLinearKernels(): void {
  registerOnWasmAndCpu({ [SIGMOID_LINEAR]: forward, [SIGMOID_LINEAR_GRAD]: backward });
  if (!tf.getGradient(SIGMOID_LINEAR)) {
    registerGradient({
      kernelName: SIGMOID_LINEAR,
      inputsToSave: ['x'],
      gradFunc: (dy, saved, attrs) => ({ x: () => tf.engine().runKernel(SIGMOID_LINEAR_GRAD, { dy: dy as tf.Tensor, x: saved[0] }, attrs) as tf.Tensor }),
    });
  }
}

/** x·σ(k·x): one kernel on wasm and cpu, tfjs ops elsewhere. */
function sigmoidLinear<T extends tf.Tensor>(x: T, slope: number): T {
  if (getKernel(SIGMOID_LINEAR, tf.getBackend()) && x.dtype === 'float32') return tf.engine().runKernel(SIGMOID_LINEAR, { x }, { slope } as unknown as tf.NamedAttrMap) as T;
  return tf.mul(x, tf.sigmoid(slope === 1 ? x : tf.mul(x, slope))) as T;
}

/** GELU as x·σ(1.702x): within 0.02 of the erf form, and σ is far cheaper than tanh or erf. */
export function gelu<T extends tf.Tensor>(x: T): T {
  return sigmoidLinear(x, GELU_SLOPE);
}

/** SiLU (swish), x·σ(x). */
export function silu<T extends tf.Tensor>(x: T): T {
  return sigmoidLinear(x, 1);
}
