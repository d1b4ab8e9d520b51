import {
  backend_util,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropInput,
  DepthwiseConv2dNativeBackpropInputAttrs,
  KernelConfig,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { dataOf, heapAllF32, sizeOf } from './wasm-heap';

// Stock wasm has no depthwise-convolution gradients. Both are memory-bound, so plain loops over
// the heap with channels innermost (contiguous in NHWC) are enough; sums accumulate in float64.
// Dilation must be 1, as tfjs-core's depthwise gradient itself requires.

/** Calls `tap(xPixel, dyPixel, tapIndex)` for every (output pixel, filter tap) inside the image; offsets in pixels. */
function forEachTap(info: backend_util.Conv2DInfo, tap: (xPixel: number, dyPixel: number, tapIndex: number) => void): void {
  const { batchSize, inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyPixel = (b * outHeight + oh) * outWidth + ow;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight - top + kh;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth - left + kw;
            if (iw < 0 || iw >= inWidth) continue;
            tap((b * inHeight + ih) * inWidth + iw, dyPixel, kh * filterWidth + kw);
          }
        }
      }
    }
  }
}

function checkInfo(info: backend_util.Conv2DInfo, kernel: string): void {
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) throw new Error(`${kernel} on wasm supports dilation 1 only`);
  if (info.dataFormat !== 'channelsLast') throw new Error(`${kernel} on wasm supports NHWC only`);
}

export const depthwiseConv2dBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend: anyBackend, attrs }) => {
    const backend = anyBackend as BackendWasm;
    const x = inputs.x as TensorInfo;
    const dy = inputs.dy as TensorInfo;
    const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
    const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, dilations, pad, dimRoundingMode, true);
    checkInfo(info, DepthwiseConv2dNativeBackpropFilter);
    const inC = info.inChannels;
    const outC = info.outChannels; // inC · multiplier
    const mul = outC / inC;
    const acc = new Float64Array(info.filterHeight * info.filterWidth * outC);
    const heap = heapAllF32(backend);
    const xBase = dataOf(backend, x).memoryOffset >> 2;
    const dyBase = dataOf(backend, dy).memoryOffset >> 2;
    forEachTap(info, (xPixel, dyPixel, t) => {
      const xo = xBase + xPixel * inC;
      const dyo = dyBase + dyPixel * outC;
      const ao = t * outC;
      for (let c = 0; c < inC; c++) {
        const xv = heap[xo + c];
        for (let m = 0; m < mul; m++) acc[ao + c * mul + m] += xv * heap[dyo + c * mul + m];
      }
    });
    const out = backend.makeOutput([...filterShape], 'float32');
    backend.typedArrayFromHeap(out).set(acc);
    return out;
  },
};

export const depthwiseConv2dBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend: anyBackend, attrs }) => {
    const backend = anyBackend as BackendWasm;
    const dy = inputs.dy as TensorInfo;
    const filter = inputs.filter as TensorInfo;
    const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
    const info = backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, dilations, pad, dimRoundingMode, true);
    checkInfo(info, DepthwiseConv2dNativeBackpropInput);
    const inC = info.inChannels;
    const outC = info.outChannels;
    const mul = outC / inC;
    const acc = new Float64Array(sizeOf(inputShape));
    const heap = heapAllF32(backend);
    const dyBase = dataOf(backend, dy).memoryOffset >> 2;
    const fBase = dataOf(backend, filter).memoryOffset >> 2;
    forEachTap(info, (xPixel, dyPixel, t) => {
      const xo = xPixel * inC;
      const dyo = dyBase + dyPixel * outC;
      const fo = fBase + t * outC;
      for (let c = 0; c < inC; c++) {
        let sum = 0;
        for (let m = 0; m < mul; m++) sum += heap[dyo + c * mul + m] * heap[fo + c * mul + m];
        acc[xo + c] += sum;
      }
    });
    const out = backend.makeOutput([...inputShape], 'float32');
    backend.typedArrayFromHeap(out).set(acc);
    return out;
  },
};
