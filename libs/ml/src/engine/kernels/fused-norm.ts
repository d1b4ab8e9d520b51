import * as tf from '@tensorflow/tfjs-core';
import { getKernel, KernelFunc, registerGradient, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { AnyBackend, registerOnWasmAndCpu, withOutputs } from './js-kernel';
import { simdNormFor } from './simd-norm';
import { nativeKernelsOn } from './native-kernels';
import { dataOf, floatOffset, heapAllF32 } from './wasm-heap';

// Layer normalisation with an affine transform per group of rows, as one kernel and one gradient
// kernel: y = x̂·(offset + scale[g]) + shift[g], x̂ = (x − mean) / √(var + ε) over the last axis.
// offset 0 with one group is LayerNorm (scale = gain); offset 1 with a group per sample is the
// DiT's adaLN modulation. As tfjs ops it is ~14 ops forward and ~25 backward. On wasm: the C
// kernels when loaded (native-kernels.ts), else our SIMD module for rows a multiple of 4 wide.

export const NORM_AFFINE = 'ForgeNormAffine';
export const NORM_AFFINE_GRAD = 'ForgeNormAffineGrad';

export interface NormAffineAttrs {
  scaleOffset: number;
  epsilon: number;
}

function layout(x: TensorInfo, shift: TensorInfo): { rows: number; dim: number; groups: number; perGroup: number } {
  const dim = x.shape[x.shape.length - 1];
  const rows = x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const groups = shift.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  return { rows, dim, groups, perGroup: rows / groups };
}

/** The SIMD module when the backend is wasm and rows are a multiple of 4 wide; else the JS loops run. */
function simd(backend: unknown, dim: number) {
  return (backend as AnyBackend).wasm && dim % 4 === 0 ? simdNormFor(backend as BackendWasm) : undefined;
}

const forward: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, shift, scale } = inputs as { x: TensorInfo; shift: TensorInfo; scale: TensorInfo };
  const { scaleOffset, epsilon } = attrs as unknown as NormAffineAttrs;
  const { rows, dim, perGroup } = layout(x, shift);
  const c = nativeKernelsOn(backend);
  if (c) {
    const wasm = backend as BackendWasm;
    const y = wasm.makeOutput([...x.shape], 'float32');
    const at = (t: TensorInfo) => floatOffset(wasm, t);
    c.normAffine(heapAllF32(wasm), at(x), at(shift), at(scale), at(y), rows, dim, perGroup, scaleOffset, epsilon);
    return y;
  }
  const kernel = simd(backend, dim);
  if (kernel) {
    const wasm = backend as BackendWasm;
    const y = wasm.makeOutput([...x.shape], 'float32');
    const at = (t: TensorInfo) => dataOf(wasm, t).memoryOffset;
    kernel.normForward(at(x), at(shift), at(scale), at(y), rows, dim, perGroup, scaleOffset, epsilon);
    return y;
  }
  return withOutputs(backend as AnyBackend, [x, shift, scale], [[...x.shape]], ([xs, sh, sc], [y]) => {
    for (let r = 0; r < rows; r++) {
      const o = r * dim;
      const g = Math.floor(r / perGroup) * dim;
      let mean = 0;
      for (let d = 0; d < dim; d++) mean += xs[o + d];
      mean /= dim;
      let variance = 0;
      for (let d = 0; d < dim; d++) variance += (xs[o + d] - mean) * (xs[o + d] - mean);
      const rstd = 1 / Math.sqrt(variance / dim + epsilon);
      for (let d = 0; d < dim; d++) y[o + d] = (xs[o + d] - mean) * rstd * (scaleOffset + sc[g + d]) + sh[g + d];
    }
  })[0];
};

/** Inputs dy, x, scale (shift's shape comes from scale); outputs dx, dshift, dscale. */
const backward: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x, scale } = inputs as { dy: TensorInfo; x: TensorInfo; scale: TensorInfo };
  const { scaleOffset, epsilon } = attrs as unknown as NormAffineAttrs;
  const { rows, dim, perGroup } = layout(x, scale);
  const c = nativeKernelsOn(backend);
  if (c) {
    const wasm = backend as BackendWasm;
    const outs = [[...x.shape], [...scale.shape], [...scale.shape]].map((shape) => wasm.makeOutput(shape, 'float32'));
    const at = (t: TensorInfo) => floatOffset(wasm, t);
    const [dx, dshift, dscale] = outs.map(at);
    c.normAffineGrad(heapAllF32(wasm), at(dy), at(x), at(scale), dx, dshift, dscale, rows, dim, perGroup, scaleOffset, epsilon);
    return outs;
  }
  const kernel = simd(backend, dim);
  if (kernel) {
    const wasm = backend as BackendWasm;
    const outs = [[...x.shape], [...scale.shape], [...scale.shape]].map((shape) => wasm.makeOutput(shape, 'float32'));
    const [dx, dshift, dscale] = outs;
    wasm.typedArrayFromHeap(dshift).fill(0);
    wasm.typedArrayFromHeap(dscale).fill(0);
    const at = (t: TensorInfo) => dataOf(wasm, t).memoryOffset;
    kernel.normBackward(at(dy), at(x), at(scale), at(dx), at(dshift), at(dscale), rows, dim, perGroup, scaleOffset, epsilon);
    return outs;
  }
  return withOutputs(backend as AnyBackend, [dy, x, scale], [[...x.shape], [...scale.shape], [...scale.shape]], ([dys, xs, sc], [dx, dshift, dscale]) => {
    const xhat = new Float64Array(dim);
    const gy = new Float64Array(dim);
    const shiftAcc = new Float64Array(dshift.length);
    const scaleAcc = new Float64Array(dscale.length);
    for (let r = 0; r < rows; r++) {
      const o = r * dim;
      const g = Math.floor(r / perGroup) * dim;
      let mean = 0;
      for (let d = 0; d < dim; d++) mean += xs[o + d];
      mean /= dim;
      let variance = 0;
      for (let d = 0; d < dim; d++) variance += (xs[o + d] - mean) * (xs[o + d] - mean);
      const rstd = 1 / Math.sqrt(variance / dim + epsilon);
      let meanG = 0;
      let meanGX = 0;
      for (let d = 0; d < dim; d++) {
        const h = (xs[o + d] - mean) * rstd;
        const dyd = dys[o + d];
        xhat[d] = h;
        gy[d] = dyd * (scaleOffset + sc[g + d]);
        meanG += gy[d];
        meanGX += gy[d] * h;
        shiftAcc[g + d] += dyd;
        scaleAcc[g + d] += dyd * h;
      }
      meanG /= dim;
      meanGX /= dim;
      for (let d = 0; d < dim; d++) dx[o + d] = rstd * (gy[d] - meanG - xhat[d] * meanGX);
    }
    dshift.set(shiftAcc);
    dscale.set(scaleAcc);
  });
};

/** Registers the kernels for wasm and cpu and the gradient (idempotent). */
export function registerFusedNormKernels(): void {
  registerOnWasmAndCpu({ [NORM_AFFINE]: forward, [NORM_AFFINE_GRAD]: backward });
  if (!tf.getGradient(NORM_AFFINE)) {
    registerGradient({
      kernelName: NORM_AFFINE,
      inputsToSave: ['x', 'shift', 'scale'],
      gradFunc: (dy, saved, attrs) => {
        const [x, , scale] = saved;
        const [dx, dshift, dscale] = tf.engine().runKernel(NORM_AFFINE_GRAD, { dy: dy as tf.Tensor, x, scale }, attrs) as tf.Tensor[];
        return { x: () => dx, shift: () => dshift, scale: () => dscale };
      },
    });
  }
}

function composed(x: tf.Tensor, shift: tf.Tensor, scale: tf.Tensor, attrs: NormAffineAttrs): tf.Tensor {
  const dim = x.shape[x.shape.length - 1];
  const groups = shift.size / dim;
  const x3 = tf.reshape(x, [groups, -1, dim]); // (G, R, D)
  const { mean, variance } = tf.moments(x3, -1, true); // (G, R, 1)
  const xhat = tf.mul(tf.sub(x3, mean), tf.rsqrt(tf.add(variance, attrs.epsilon))); // (G, R, D)
  const factor = attrs.scaleOffset === 0 ? scale : tf.add(scale, attrs.scaleOffset);
  const y = tf.add(tf.mul(xhat, tf.reshape(factor, [groups, 1, dim])), tf.reshape(shift, [groups, 1, dim])); // (G, R, D)
  return tf.reshape(y, x.shape);
}

/**
 * Normalises x (..., D) over its last axis and applies (offset + scale)·x̂ + shift, where shift and
 * scale are (G, D) or (D): rows are split into G equal consecutive groups (a DiT's samples).
 * One kernel on wasm and cpu, tfjs ops elsewhere; the same values and gradients either way.
 */
export function normAffine<T extends tf.Tensor>(x: T, shift: tf.Tensor, scale: tf.Tensor, attrs: NormAffineAttrs): T {
  const dim = x.shape[x.shape.length - 1];
  const groups = shift.size / dim;
  const rows = x.size / dim;
  if (!tf.util.arraysEqual(shift.shape, scale.shape) || shift.shape[shift.shape.length - 1] !== dim || !Number.isInteger(groups) || rows % groups !== 0) {
    throw Object.assign(new Error(`normAffine: shift ${JSON.stringify(shift.shape)} and scale ${JSON.stringify(scale.shape)} must both be (G, ${dim}) with G dividing the ${rows} rows of x ${JSON.stringify(x.shape)}`), { code: 'INVALID_INPUT' });
  }
  if (getKernel(NORM_AFFINE, tf.getBackend()) && x.dtype === 'float32') return tf.engine().runKernel(NORM_AFFINE, { x, shift, scale }, attrs as unknown as tf.NamedAttrMap) as T;
  return composed(x, shift, scale, attrs) as T;
}
