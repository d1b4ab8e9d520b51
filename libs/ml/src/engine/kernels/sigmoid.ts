import { KernelConfig, Sigmoid, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { activeNativeKernels } from './native-kernels';
import { floatOffset, heapAllF32 } from './wasm-heap';

// float32 Sigmoid in the C kernels when they are loaded: the stock wasm kernel computes one exp
// per element in scalar code (~1.5 ns an element); the C loop takes 16 at a time. Otherwise the
// stock kernel.

export function makeSigmoidConfig(stock: KernelConfig | undefined): KernelConfig {
  return {
    kernelName: Sigmoid,
    backendName: 'wasm',
    setupFunc: stock?.setupFunc,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: TensorInfo };
      const native = activeNativeKernels();
      if (native && x.dtype === 'float32') {
        const backend = args.backend as BackendWasm;
        const out = backend.makeOutput([...x.shape], 'float32');
        const size = util.sizeFromShape(x.shape);
        if (size > 0) native.sigmoid(heapAllF32(backend), floatOffset(backend, x), floatOffset(backend, out), size);
        return out;
      }
      if (!stock) throw new Error(`Sigmoid of ${x.dtype} ${JSON.stringify(x.shape)} needs the stock wasm kernel`);
      return stock.kernelFunc(args);
    },
  };
}
