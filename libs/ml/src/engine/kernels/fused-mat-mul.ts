import { _FusedMatMul, _FusedMatMulAttrs, getKernel, KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { batchMatMulFast } from './batch-mat-mul';

// The stock fused kernel shares BatchMatMul's slow paths and its per-id packing cache, so the
// fused op runs as our GEMM followed by the backend's own Add and activation kernels.

const ACTIVATION_KERNELS: Record<string, string | undefined> = {
  linear: undefined,
  relu: 'Relu',
  relu6: 'Relu6',
  elu: 'Elu',
  sigmoid: 'Sigmoid',
  leakyrelu: 'LeakyRelu',
  prelu: 'Prelu',
};

function run(backend: BackendWasm, kernelName: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
  const kernel = getKernel(kernelName, 'wasm');
  if (!kernel) throw new Error(`_FusedMatMul needs the wasm '${kernelName}' kernel`);
  return kernel.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

export const fusedMatMulConfig: KernelConfig = {
  kernelName: _FusedMatMul,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend: anyBackend, attrs }) => {
    const backend = anyBackend as BackendWasm;
    const { a, b, bias, preluActivationWeights } = inputs as Record<string, TensorInfo | undefined>;
    const { transposeA, transposeB, activation, leakyreluAlpha } = attrs as unknown as _FusedMatMulAttrs;
    if (!(activation in ACTIVATION_KERNELS)) throw new Error(`_FusedMatMul: activation '${activation}' is not supported on wasm`);
    let result = batchMatMulFast(backend, a as TensorInfo, b as TensorInfo, !!transposeA, !!transposeB);
    const replace = (next: TensorInfo) => {
      backend.disposeData(result.dataId);
      result = next;
    };
    if (bias) replace(run(backend, 'Add', { a: result, b: bias }));
    const kernelName = ACTIVATION_KERNELS[activation];
    if (kernelName === 'LeakyRelu') replace(run(backend, kernelName, { x: result }, { alpha: leakyreluAlpha ?? 0.2 }));
    else if (kernelName === 'Prelu') replace(run(backend, kernelName, { x: result, alpha: preluActivationWeights as TensorInfo }));
    else if (kernelName) replace(run(backend, kernelName, { x: result }));
    return result;
  },
};
