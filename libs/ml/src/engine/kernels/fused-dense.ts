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
/**
 * Several dense layers reading one input (attention's q, k, v projections): inputs [x, w0…, b0…],
 * outputs [y0…]; the gradient takes [x, dy0…, w0…] and gives [dx, dw0…, db0…], dx summed in place
 * (as separate layers that is n kernels each way and n − 1 Adds).
 */
export const DENSE_FAN = 'ForgeDenseFan';
export const DENSE_FAN_GRAD = 'ForgeDenseFanGrad';

export interface DenseFanAttrs {
  /** How many layers share the input. */
  count: number;
}

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

/** The fan-out kernels as products on the native GEMM: one fill + product per layer; dx accumulates (beta 1). */
const nativeFan = {
  forward(gemm: GemmAt, backend: BackendWasm, x: TensorInfo, ws: TensorInfo[], bs: TensorInfo[]): TensorInfo[] {
    const [n, nIn] = x.shape;
    const outs = ws.map((w) => backend.makeOutput([n, w.shape[1]], 'float32'));
    const f32 = heapAllF32(backend); // after the allocations, which may grow the heap
    const at = (t: TensorInfo) => floatOffset(backend, t);
    ws.forEach((w, i) => {
      const nOut = w.shape[1];
      fillRows(f32, at(outs[i]), at(bs[i]), n, nOut); // y = 1·bᵀ
      gemm(f32, false, false, n, nOut, nIn, at(x), nIn, at(w), nOut, at(outs[i]), nOut, 1); // y += x·w
    });
    return outs;
  },
  backward(gemm: GemmAt, backend: BackendWasm, x: TensorInfo, dys: TensorInfo[], ws: TensorInfo[]): TensorInfo[] {
    const [n, nIn] = x.shape;
    const dx = backend.makeOutput([n, nIn], 'float32');
    const dws = ws.map((w) => backend.makeOutput([...w.shape], 'float32'));
    const dbs = ws.map((w) => backend.makeOutput([w.shape[1]], 'float32'));
    const ones = backend.makeOutput([n], 'float32');
    const f32 = heapAllF32(backend);
    const at = (t: TensorInfo) => floatOffset(backend, t);
    f32.fill(1, at(ones), at(ones) + n);
    ws.forEach((w, i) => {
      const nOut = w.shape[1];
      gemm(f32, false, true, n, nIn, nOut, at(dys[i]), nOut, at(w), nOut, at(dx), nIn, i === 0 ? 0 : 1); // dx (+)= dy·wᵀ
      gemm(f32, true, false, nIn, nOut, n, at(x), nIn, at(dys[i]), nOut, at(dws[i]), nOut); // dw = xᵀ·dy
      gemm(f32, false, false, 1, nOut, n, at(ones), n, at(dys[i]), nOut, at(dbs[i]), nOut); // db = 1ᵀ·dy
    });
    backend.disposeData(ones.dataId);
    return [dx, ...dws, ...dbs];
  },
};

/** The native GEMM's in-place products on wasm, when there is one and every size is positive (BLAS refuses empty leading dimensions). */
function nativeFor(backendName: string, x: TensorInfo, w: TensorInfo): GemmAt | undefined {
  if (backendName !== 'wasm' || x.dtype !== 'float32' || w.dtype !== 'float32' || x.shape[0] === 0 || x.shape[1] === 0 || w.shape[1] === 0) return undefined;
  return activeNativeGemm()?.gemmAt;
}

/** A fan kernel's input list, [x, n tensors, n more] with n = attrs.count, in its three parts. */
function fanLists(inputs: unknown, attrs: unknown): [TensorInfo, TensorInfo[], TensorInfo[]] {
  const { count } = attrs as DenseFanAttrs;
  const list = inputs as TensorInfo[];
  return [list[0], list.slice(1, 1 + count), list.slice(1 + count, 1 + 2 * count)];
}

/** The dense and fan-out kernels (forward and gradient) for one backend, running its own BatchMatMul, Add and Sum. */
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
  const dispose = (backend: unknown, t: TensorInfo) => (backend as Backend).disposeData(t.dataId);
  const fanForward: KernelFunc = ({ inputs, backend, attrs }) => {
    const [x, ws, bs] = fanLists(inputs, attrs);
    const native = nativeFor(backendName, x, ws[0]);
    if (native) return nativeFan.forward(native, backend as BackendWasm, x, ws, bs);
    return ws.map((w, i) => {
      const product = call(BatchMatMul, backend, { a: x, b: w }, { transposeA: false, transposeB: false });
      try {
        return call('Add', backend, { a: product, b: bs[i] });
      } finally {
        dispose(backend, product);
      }
    });
  };
  const fanBackward: KernelFunc = ({ inputs, backend, attrs }) => {
    const [x, dys, ws] = fanLists(inputs, attrs);
    const count = ws.length;
    const native = nativeFor(backendName, x, ws[0]);
    if (native) return nativeFan.backward(native, backend as BackendWasm, x, dys, ws);
    let dx = call(BatchMatMul, backend, { a: dys[0], b: ws[0] }, { transposeA: false, transposeB: true });
    for (let i = 1; i < count; i++) {
      const part = call(BatchMatMul, backend, { a: dys[i], b: ws[i] }, { transposeA: false, transposeB: true });
      const sum = call('Add', backend, { a: dx, b: part });
      dispose(backend, dx);
      dispose(backend, part);
      dx = sum;
    }
    const dws = dys.map((dy) => call(BatchMatMul, backend, { a: x, b: dy }, { transposeA: true, transposeB: false }));
    const dbs = dys.map((dy) => call(Sum, backend, { x: dy }, { axis: [0], keepDims: false }));
    return [dx, ...dws, ...dbs];
  };
  return { [DENSE]: forward, [DENSE_GRAD]: backward, [DENSE_FAN]: fanForward, [DENSE_FAN_GRAD]: fanBackward };
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
  if (!tf.getGradient(DENSE_FAN)) {
    registerGradient({
      kernelName: DENSE_FAN,
      // Inputs are a list ([x, w0…, b0…]); their gradients are keyed by position.
      saveAllInputs: true,
      gradFunc: (dy, saved, attrs) => {
        const { count } = attrs as unknown as DenseFanAttrs;
        const dys = dy as tf.Tensor[];
        const grads = tf.engine().runKernel(DENSE_FAN_GRAD, [saved[0], ...dys, ...saved.slice(1, 1 + count)] as unknown as tf.NamedTensorMap, { count } as unknown as tf.NamedAttrMap) as tf.Tensor[];
        return Object.fromEntries(grads.map((g, i) => [String(i), () => g]));
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

/**
 * Dense layers sharing their input, x·wᵢ + bᵢ for each i: (N, nIn) -> (N, nOutᵢ) each. One kernel
 * each way on wasm and cpu (attention's projections), separate `linear` calls elsewhere.
 */
export function linearFan(x: tf.Tensor2D, ws: tf.Tensor2D[], bs: tf.Tensor1D[]): tf.Tensor2D[] {
  if (ws.length === 0 || ws.length !== bs.length) throw Object.assign(new Error(`linearFan: ${ws.length} weights and ${bs.length} biases; needs one bias per weight, at least one`), { code: 'INVALID_INPUT' });
  ws.forEach((w, i) => {
    const b = bs[i];
    if (x.rank !== 2 || w.rank !== 2 || b.rank !== 1 || x.shape[1] !== w.shape[0] || b.shape[0] !== w.shape[1]) {
      throw Object.assign(new Error(`linearFan: x ${JSON.stringify(x.shape)}, w${i} ${JSON.stringify(w.shape)} and b${i} ${JSON.stringify(b.shape)} must be (N, nIn), (nIn, nOut) and (nOut)`), { code: 'INVALID_INPUT' });
    }
  });
  if (ws.length > 1 && getKernel(DENSE_FAN, tf.getBackend()) && [x, ...ws, ...bs].every((t) => t.dtype === 'float32')) {
    return tf.engine().runKernel(DENSE_FAN, [x, ...ws, ...bs] as unknown as tf.NamedTensorMap, { count: ws.length } as unknown as tf.NamedAttrMap) as tf.Tensor2D[];
  }
  return ws.map((w, i) => linear(x, w, bs[i]));
}
