import { Add, KernelConfig, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { activeNativeKernels } from './native-kernels';
import { floatOffset, heapAllF32 } from './wasm-heap';

// Two float32 tensors of the same shape added in the C kernels (native-kernels.ts) when they are
// loaded: the stock wasm Add goes through its broadcasting path at ~1 ns an element, and a
// training step adds up gradients of the same shape a dozen times (65k elements each in the demo
// DiT). Everything else (broadcasting, other dtypes, no C kernels) is the stock kernel's.

export function makeAddConfig(stock: KernelConfig | undefined): KernelConfig {
  return {
    kernelName: Add,
    backendName: 'wasm',
    // The stock kernel we fall back to binds its C function in its own setup.
    setupFunc: stock?.setupFunc,
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
      const native = activeNativeKernels();
      if (native && a.dtype === 'float32' && b.dtype === 'float32' && util.arraysEqual(a.shape, b.shape)) {
        const backend = args.backend as BackendWasm;
        const out = backend.makeOutput([...a.shape], 'float32');
        const at = (t: TensorInfo) => floatOffset(backend, t);
        native.add(heapAllF32(backend), at(a), at(b), at(out), util.sizeFromShape(a.shape));
        return out;
      }
      if (!stock) throw new Error(`Add of ${JSON.stringify(a.shape)} and ${JSON.stringify(b.shape)} needs the stock wasm kernel`);
      return stock.kernelFunc(args);
    },
  };
}
