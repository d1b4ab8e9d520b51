import { Add, Cast, GatherV2, getKernel, KernelConfig, Mean, Multiply, RealDiv, registerKernel, Sigmoid, Sub, Sum, Transpose, unregisterKernel } from '@tensorflow/tfjs-core';
import { makeBinaryConfig } from './binary';
import { batchMatMulConfig } from './batch-mat-mul';
import { makeCastConfig } from './cast';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter';
import { depthwiseConv2dBackpropFilterConfig, depthwiseConv2dBackpropInputConfig } from './depthwise-conv2d-backprop';
import { fusedMatMulConfig } from './fused-mat-mul';
import { makeGatherConfig } from './gather';
import { identityConfig } from './identity';
import { makeMeanConfig, makeSumConfig } from './reduce';
import { makeSigmoidConfig } from './sigmoid';
import { makeSplitConcatConfigs } from './split-concat';
import { makeTransposeConfig } from './transpose';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum';

export { batchMatMulFast } from './batch-mat-mul';

let registered = false;

/**
 * Replaces stock wasm kernels with ours. tfjs-core keeps one kernel per (name, backend) and
 * warns on re-registration, so each stock kernel is unregistered first; overrides that fall
 * back to the stock kernel for cases they do not cover keep a reference to it.
 */
export function registerWasmKernelOverrides(): void {
  if (registered) return;
  const stock = (name: string): KernelConfig | undefined => getKernel(name, 'wasm');
  const overrides: KernelConfig[] = [
    batchMatMulConfig,
    fusedMatMulConfig,
    makeTransposeConfig(stock(Transpose)),
    makeSumConfig(stock(Sum)),
    makeMeanConfig(stock(Mean)),
    identityConfig,
    makeCastConfig(stock(Cast)),
    ...([Add, Sub, Multiply, RealDiv] as const).map((name) => makeBinaryConfig(name, stock(name))),
    makeSigmoidConfig(stock(Sigmoid)),
    conv2dBackpropFilterConfig,
    depthwiseConv2dBackpropFilterConfig,
    depthwiseConv2dBackpropInputConfig,
    unsortedSegmentSumConfig,
    makeGatherConfig(stock(GatherV2)),
    ...makeSplitConcatConfigs(stock),
  ];
  for (const config of overrides) {
    if (stock(config.kernelName)) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
  }
  registered = true;
}
