import * as tf from '@tensorflow/tfjs-core';
import { getKernel, KernelFunc, registerGradient, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { AnyBackend, registerOnWasmAndCpu, withOutputs } from './js-kernel';
import { simdNormFor } from './simd-norm';
import { dataOf } from './wasm-heap';

// The DiT's gated residual x + y·gate[g] (rows split into G equal groups, one gate row each) as
// one kernel and one gradient kernel; as tfjs ops it is ~5 ops forward and ~9 backward.

export const GATED_ADD = 'ForgeGatedAdd';
export const GATED_ADD_GRAD = 'ForgeGatedAddGrad';

function layout(y: TensorInfo, gate: TensorInfo): { rows: number; dim: number; perGroup: number } {
  const dim = y.shape[y.shape.length - 1];
  const rows = y.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  return { rows, dim, perGroup: rows / gate.shape.slice(0, -1).reduce((a, b) => a * b, 1) };
}

function simd(backend: unknown, dim: number) {
  return (backend as AnyBackend).wasm && dim % 4 === 0 ? simdNormFor(backend as BackendWasm) : undefined;
}

const forward: KernelFunc = ({ inputs, backend }) => {
  const { x, y, gate } = inputs as { x: TensorInfo; y: TensorInfo; gate: TensorInfo };
  const { rows, dim, perGroup } = layout(y, gate);
  const kernel = simd(backend, dim);
  if (kernel) {
    const wasm = backend as BackendWasm;
    const out = wasm.makeOutput([...x.shape], 'float32');
    const at = (t: TensorInfo) => dataOf(wasm, t).memoryOffset;
    kernel.gatedAdd(at(x), at(y), at(gate), at(out), rows, dim, perGroup);
    return out;
  }
  return withOutputs(backend as AnyBackend, [x, y, gate], [[...x.shape]], ([xs, ys, gs], [out]) => {
    for (let r = 0; r < rows; r++) {
      const o = r * dim;
      const g = Math.floor(r / perGroup) * dim;
      for (let d = 0; d < dim; d++) out[o + d] = xs[o + d] + ys[o + d] * gs[g + d];
    }
  })[0];
};

/** Inputs dy, y, gate; outputs the gradients of y and of gate (x's is dy itself). */
const backward: KernelFunc = ({ inputs, backend }) => {
  const { dy, y, gate } = inputs as { dy: TensorInfo; y: TensorInfo; gate: TensorInfo };
  const { rows, dim, perGroup } = layout(y, gate);
  const kernel = simd(backend, dim);
  if (kernel) {
    const wasm = backend as BackendWasm;
    const outs = [wasm.makeOutput([...y.shape], 'float32'), wasm.makeOutput([...gate.shape], 'float32')];
    wasm.typedArrayFromHeap(outs[1]).fill(0);
    const at = (t: TensorInfo) => dataOf(wasm, t).memoryOffset;
    kernel.gatedAddGrad(at(dy), at(y), at(gate), at(outs[0]), at(outs[1]), rows, dim, perGroup);
    return outs;
  }
  return withOutputs(backend as AnyBackend, [dy, y, gate], [[...y.shape], [...gate.shape]], ([dys, ys, gs], [dyOut, dgate]) => {
    const acc = new Float64Array(dgate.length);
    for (let r = 0; r < rows; r++) {
      const o = r * dim;
      const g = Math.floor(r / perGroup) * dim;
      for (let d = 0; d < dim; d++) {
        dyOut[o + d] = dys[o + d] * gs[g + d];
        acc[g + d] += dys[o + d] * ys[o + d];
      }
    }
    dgate.set(acc);
  });
};

/** Registers the kernels for wasm and cpu and the gradient (idempotent). */
export function registerFusedGateKernels(): void {
  registerOnWasmAndCpu({ [GATED_ADD]: forward, [GATED_ADD_GRAD]: backward });
  if (!tf.getGradient(GATED_ADD)) {
    registerGradient({
      kernelName: GATED_ADD,
      inputsToSave: ['y', 'gate'],
      gradFunc: (dy, saved) => {
        const [y, gate] = saved;
        const [dyOut, dgate] = tf.engine().runKernel(GATED_ADD_GRAD, { dy: dy as tf.Tensor, y, gate }) as tf.Tensor[];
        return { x: () => dy as tf.Tensor, y: () => dyOut, gate: () => dgate };
      },
    });
  }
}

/**
 * x + y·gate with x, y (..., D) and gate (G, D): rows split into G equal consecutive groups (a
 * DiT's samples), each scaled by its gate row. One kernel on wasm and cpu, tfjs ops elsewhere.
 */
export function gatedAdd<T extends tf.Tensor>(x: T, y: tf.Tensor, gate: tf.Tensor): T {
  const dim = x.shape[x.shape.length - 1];
  const rows = x.size / dim;
  const groups = gate.size / dim;
  if (!tf.util.arraysEqual(x.shape, y.shape) || gate.shape[gate.shape.length - 1] !== dim || !Number.isInteger(groups) || rows % groups !== 0) {
    throw Object.assign(new Error(`gatedAdd: x ${JSON.stringify(x.shape)} and y ${JSON.stringify(y.shape)} must match and gate ${JSON.stringify(gate.shape)} be (G, ${dim}) with G dividing the ${rows} rows`), { code: 'INVALID_INPUT' });
  }
  if (getKernel(GATED_ADD, tf.getBackend()) && x.dtype === 'float32') return tf.engine().runKernel(GATED_ADD, { x, y, gate }) as T;
  const y3 = tf.reshape(y, [groups, -1, dim]);
  return tf.add(x, tf.reshape(tf.mul(y3, tf.reshape(gate, [groups, 1, dim])), x.shape)) as T;
}
