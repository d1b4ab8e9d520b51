import { KernelConfig, Sigmoid, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { activeNativeKernels } from './native-kernels';
import { withStockFallback } from './stock-fallback';
import { floatOffset, heapAllF32 } from './wasm-heap';

// float32 Sigmoid in the C kernels when they are loaded: the stock wasm kernel computes one exp
// per element in scalar code (~1.5 ns an element); the C loop takes 16 at a time. Otherwise the
// stock kernel.

export function makeSigmoidConfig(stock: KernelConfig | undefined): KernelConfig {
  return withStockFallback(Sigmoid, stock, ({ inputs, backend }) => {
    const { x } = inputs as { x: TensorInfo };
    const native = activeNativeKernels();
    if (!native || x.dtype !== 'float32') return undefined;
    const wasm = backend as BackendWasm;
    const out = wasm.makeOutput([...x.shape], 'float32');
    const size = util.sizeFromShape(x.shape);
    if (size > 0) native.sigmoid(heapAllF32(wasm), floatOffset(wasm, x), floatOffset(wasm, out), size);
    return out;
  });
}
