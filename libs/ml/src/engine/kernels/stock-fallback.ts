import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

// Most of our wasm overrides handle some cases of a kernel (dtypes, layouts, the C kernels being
// loaded) and leave the rest to the stock kernel they replace.

export type KernelArgs = Parameters<KernelFunc>[0];

/**
 * A wasm kernel that runs `fast` and, where it returns nothing, the stock kernel — whose setup,
 * kept here, binds the stock kernel's C function.
 */
export function withStockFallback(kernelName: string, stock: KernelConfig | undefined, fast: (args: KernelArgs) => TensorInfo | TensorInfo[] | undefined): KernelConfig {
  return {
    kernelName,
    backendName: 'wasm',
    setupFunc: stock?.setupFunc,
    kernelFunc: (args) => {
      const out = fast(args);
      if (out) return out;
      if (!stock) {
        const inputs = Object.values(args.inputs as Record<string, TensorInfo>).map((t) => `${t.dtype} ${JSON.stringify(t.shape)}`);
        throw new Error(`${kernelName} of ${inputs.join(', ')} needs the stock wasm kernel`);
      }
      return stock.kernelFunc(args);
    },
  };
}
