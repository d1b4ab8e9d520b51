import { getKernel, KernelFunc, registerKernel, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

// Kernels written in JS over tensor memory, for the backends that keep tensors where JS can see
// them: wasm (its heap) and cpu (typed arrays). Used by the fused kernels that replace many small
// tfjs ops with one pass.

export type AnyBackend = { wasm?: unknown; data?: { get(id: object): { values: unknown } }; makeTensorInfo?: (shape: number[], dtype: 'float32', values: Float32Array) => TensorInfo };

function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Float32 values of an input, without copying. */
export function valuesOf(backend: AnyBackend, t: TensorInfo): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`fused kernels take float32 tensors, got ${t.dtype}`);
  if (backend.wasm) return (backend as unknown as BackendWasm).typedArrayFromHeap(t) as Float32Array;
  return backend.data?.get(t.dataId).values as Float32Array;
}

/**
 * Allocates all outputs first (a wasm allocation may grow and so replace the heap), then hands
 * views of inputs and outputs to `fill`.
 */
export function withOutputs(backend: AnyBackend, inputs: TensorInfo[], shapes: number[][], fill: (ins: Float32Array[], outs: Float32Array[]) => void): TensorInfo[] {
  if (backend.wasm) {
    const wasm = backend as unknown as BackendWasm;
    const outs = shapes.map((s) => wasm.makeOutput(s, 'float32'));
    fill(
      inputs.map((t) => valuesOf(backend, t)),
      outs.map((t) => wasm.typedArrayFromHeap(t) as Float32Array),
    );
    return outs;
  }
  if (!backend.makeTensorInfo) throw new Error('fused kernels need the wasm or cpu backend');
  const values = shapes.map((s) => new Float32Array(size(s)));
  fill(
    inputs.map((t) => valuesOf(backend, t)),
    values,
  );
  return shapes.map((s, i) => (backend.makeTensorInfo as NonNullable<AnyBackend['makeTensorInfo']>)(s, 'float32', values[i]));
}


/**
 * Registers our kernels for the wasm and cpu backends (the cpu ones are the JS reference the
 * parity tests compare against), leaving any already registered: idempotent.
 */
export function registerOnWasmAndCpu(kernels: Record<string, KernelFunc> | ((backendName: string) => Record<string, KernelFunc>)): void {
  for (const backendName of ['wasm', 'cpu']) {
    const funcs = typeof kernels === 'function' ? kernels(backendName) : kernels;
    for (const [kernelName, kernelFunc] of Object.entries(funcs)) if (!getKernel(kernelName, backendName)) registerKernel({ kernelName, backendName, kernelFunc });
  }
}
