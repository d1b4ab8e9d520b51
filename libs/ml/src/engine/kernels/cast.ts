import { Cast, CastAttrs, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

// The stock wasm Cast copies the tensor even when the dtype does not change, and tfjs-core's
// gradients cast their inputs to float32 on every call (Multiply's gradient casts both
// operands): in a training step that is dozens of full copies of float32 tensors. A cast to the
// same dtype shares the buffer (tensors are immutable, as for Identity). The stock cast to bool
// stores the truncated number (−2.7 became 254, 0.4 became 0); here it is 1 for every non-zero
// value, as on the cpu backend. Other conversions are the stock kernel's.

export function makeCastConfig(stock: KernelConfig | undefined): KernelConfig {
  return {
    kernelName: Cast,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x as TensorInfo;
      const { dtype } = args.attrs as unknown as CastAttrs;
      if (x.dtype === dtype && dtype !== 'string') {
        (args.backend as BackendWasm).incRef(x.dataId);
        return { dataId: x.dataId, shape: [...x.shape], dtype };
      }
      if (dtype === 'bool') {
        const backend = args.backend as BackendWasm;
        const out = backend.makeOutput(x.shape, 'bool');
        const from = backend.typedArrayFromHeap(x);
        const to = backend.typedArrayFromHeap(out);
        for (let i = 0; i < from.length; i++) to[i] = from[i] !== 0 ? 1 : 0;
        return out;
      }
      if (!stock) throw new Error(`Cast ${x.dtype} → ${dtype} needs the stock wasm kernel`);
      return stock.kernelFunc(args);
    },
  };
}
