import { KernelConfig, TensorInfo, UnsortedSegmentSum, UnsortedSegmentSumAttrs } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { sizeOf } from './wasm-heap';

// Missing on stock wasm, and it is the gradient of `gather` (embedding lookups). A scatter-add:
// out[ids[i], ...] += x[i, ...]; ids outside [0, numSegments) are dropped, as in TensorFlow.
export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend: anyBackend, attrs }) => {
    const backend = anyBackend as BackendWasm;
    const x = inputs.x as TensorInfo;
    const segmentIds = inputs.segmentIds as TensorInfo;
    const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
    if (x.dtype !== 'float32') throw new Error(`UnsortedSegmentSum on wasm supports float32 only, got ${x.dtype}`);
    const rows = sizeOf(segmentIds.shape);
    const inner = sizeOf(x.shape.slice(segmentIds.shape.length));
    const acc = new Float64Array(numSegments * inner);
    const xs = backend.typedArrayFromHeap(x);
    const ids = backend.typedArrayFromHeap(segmentIds);
    for (let i = 0; i < rows; i++) {
      const s = ids[i];
      if (s < 0 || s >= numSegments) continue;
      const src = i * inner;
      const dst = s * inner;
      for (let j = 0; j < inner; j++) acc[dst + j] += xs[src + j];
    }
    const out = backend.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], 'float32');
    backend.typedArrayFromHeap(out).set(acc);
    return out;
  },
};
