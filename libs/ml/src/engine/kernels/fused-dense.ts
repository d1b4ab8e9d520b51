import * as tf from '@tensorflow/tfjs-core';
import { BatchMatMul, getKernel, KernelFunc, NamedAttrMap, registerGradient, Sum, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { registerOnWasmAndCpu } from './js-kernel';
import { activeNativeGemm, type NativeGemm } from './native-gemm';
import { floatOffset, heapAllF32 } from './wasm-heap';

// A dense layer x·w + b as one kernel, and its gradient (dx = dy·wᵀ, dw = xᵀ·dy, db = Σ dy) as
// one more. As tfjs ops that is 2 calls forward and 4–5 backward (two products, the bias sum,
// reshapes), and the loop's small models have dozens of dense layers per step: the calls, not
// the arithmetic, are what they cost. Each kernel runs the backend's own BatchMatMul (ours on
// wasm, with the native GEMM when it is on), Add and Sum kernels. With a native GEMM that takes
// offsets (OpenBLAS) the wasm kernels are products only: the bias enters as a rank-1 product
// 1·bᵀ the main product adds to (beta 1), and db = 1ᵀ·dy is a product too.

export const DENSE = 'ForgeDense';
export const DENSE_GRAD = 'ForgeDenseGrad';

type Backend = { disposeData(dataId: object): void };

function kernelOf(backendName: string, name: string): KernelFunc {
  const kernel = getKernel(name, backendName);
  if (!kernel) throw new Error(`${DENSE} needs the ${backendName} '${name}' kernel`);
  return kernel.kernelFunc;
}

type GemmAt = NonNullable<NativeGemm['gemmAt']>;

/**
 * Every one of `rows` rows at `dst` set to the `cols` values at `src`, by doubling copies (native
 * memmove): ~10 µs for 1024×64, where OpenBLAS took 36 µs for the same broadcast as a product with k = 1.
 */
export function fillRows(f32: Float32Array, dst: number, src: number, rows: number, cols: number): void {
  if (rows === 0 || cols === 0) return;
  f32.copyWithin(dst, src, src + cols);
  for (let done = 1; done < rows; done *= 2) {
    const copy = Math.min(done, rows - done);
    f32.copyWithin(dst + done * cols, dst, dst + copy * cols);
  }
}

/** The kernels as products on the native GEMM, in place on the wasm heap. */
const nativeDense = {
  forward(gemm: GemmAt, backend: BackendWasm, x: TensorInfo, w: TensorInfo, b: TensorInfo): TensorInfo {
    const [n, nIn] = x.shape;
    const nOut = w.shape[1];
    const out = backend.makeOutput([n, nOut], 'float32');
    const f32 = heapAllF32(backend); // after the allocation, which may grow the heap
    const at = (t: TensorInfo) => floatOffset(backend, t);
    fillRows(f32, at(out), at(b), n, nOut); // out = 1·bᵀ
    gemm(f32, false, false, n, nOut, nIn, at(x), nIn, at(w), nOut, at(out), nOut, 1); // out += x·w
    return out;
  },
  backward(gemm: GemmAt, backend: BackendWasm, dy: TensorInfo, x: TensorInfo, w: TensorInfo): TensorInfo[] {
    const [n, nIn] = x.shape;
    const nOut = w.shape[1];
    const [dx, dw, db, ones] = [backend.makeOutput([n, nIn], 'float32'), backend.makeOutput([nIn, nOut], 'float32'), backend.makeOutput([nOut], 'float32'), backend.makeOutput([n], 'float32')];
    const f32 = heapAllF32(backend);
    const at = (t: TensorInfo) => floatOffset(backend, t);
    f32.fill(1, at(ones), at(ones) + n);
    gemm(f32, false, true, n, nIn, nOut, at(dy), nOut, at(w), nOut, at(dx), nIn); // dx = dy·wᵀ
    gemm(f32, true, false, nIn, nOut, n, at(x), nIn, at(dy), nOut, at(dw), nOut); // dw = xᵀ·dy
    gemm(f32, false, false, 1, nOut, n, at(ones), n, at(dy), nOut, at(db), nOut); // db = 1ᵀ·dy
    backend.disposeData(ones.dataId);
    return [dx, dw, db];
  },
};

/** The native GEMM's in-place products on wasm, when there is one and every size is positive (BLAS refuses empty leading dimensions). */
function nativeFor(backendName: string, x: TensorInfo, w: TensorInfo): GemmAt | undefined {
  if (backendName !== 'wasm' || x.dtype !== 'float32' || w.dtype !== 'float32' || x.shape[0] === 0 || x.shape[1] === 0 || w.shape[1] === 0) return undefined;
  return activeNativeGemm()?.gemmAt;
}

/** The two kernels for one backend, running its own BatchMatMul, Add and Sum. */
function kernelsFor(backendName: string): Record<string, KernelFunc> {
  const call = (name: string, backend: unknown, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}) =>
    kernelOf(backendName, name)({ inputs, backend: backend as never, attrs }) as TensorInfo;
  const forward: KernelFunc = ({ inputs, backend }) => {
    const { x, w, b } = inputs as { x: TensorInfo; w: TensorInfo; b: TensorInfo };
    const native = nativeFor(backendName, x, w);
    if (native) return nativeDense.forward(native, backend as BackendWasm, x, w, b);
    const product = call(BatchMatMul, backend, { a: x, b: w }, { transposeA: false, transposeB: false });
    try {
      return call('Add', backend, { a: product, b });
    } finally {
      (backend as Backend).disposeData(product.dataId);
    }
  };
  const backward: KernelFunc = ({ inputs, backend }) => {
    const { dy, x, w } = inputs as { dy: TensorInfo; x: TensorInfo; w: TensorInfo };
    const native = nativeFor(backendName, x, w);
    if (native) return nativeDense.backward(native, backend as BackendWasm, dy, x, w);
    return [
      call(BatchMatMul, backend, { a: dy, b: w }, { transposeA: false, transposeB: true }),
      call(BatchMatMul, backend, { a: x, b: dy }, { transposeA: true, transposeB: false }),
      call(Sum, backend, { x: dy }, { axis: [0], keepDims: false }),
    ];
  };
  return { [DENSE]: forward, [DENSE_GRAD]: backward };
}

/** Registers the kernels for wasm and cpu and the gradient (idempotent). */
export function registerFusedDenseKernels(): void {
  registerOnWasmAndCpu(kernelsFor);
  if (!tf.getGradient(DENSE)) {
    registerGradient({
      kernelName: DENSE,
      inputsToSave: ['x', 'w'],
      gradFunc: (dy, saved) => {
        const [x, w] = saved;
        const [dx, dw, db] = tf.engine().runKernel(DENSE_GRAD, { dy: dy as tf.Tensor, x, w }) as tf.Tensor[];
        return { x: () => dx, w: () => dw, b: () => db };
      },
    });
  }
}

/** (N, nIn)·(nIn, nOut) + (nOut) -> (N, nOut). One kernel on wasm and cpu, tfjs ops elsewhere. */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  if (x.rank !== 2 || w.rank !== 2 || b.rank !== 1 || x.shape[1] !== w.shape[0] || b.shape[0] !== w.shape[1]) {
    throw Object.assign(new Error(`linear: x ${JSON.stringify(x.shape)}, w ${JSON.stringify(w.shape)} and b ${JSON.stringify(b.shape)} must be (N, nIn), (nIn, nOut) and (nOut)`), { code: 'INVALID_INPUT' });
  }
  if (getKernel(DENSE, tf.getBackend()) && [x, w, b].every((t) => t.dtype === 'float32')) return tf.engine().runKernel(DENSE, { x, w, b }) as tf.Tensor2D;
  return tf.add(tf.matMul(x, w), b);
}
