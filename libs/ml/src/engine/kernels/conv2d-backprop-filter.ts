import { backend_util, Conv2DBackpropFilter, Conv2DBackpropFilterAttrs, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { batchMatMulFast } from './batch-mat-mul';
import { fastTranspose } from './transpose';
import { dataOf, heapAllF32 } from './wasm-heap';

// Stock wasm has no Conv2DBackpropFilter, so convolutions cannot be trained on it. The filter
// gradient is one GEMM over image patches (im2col):
//   cols[P, KH·KW·CI]   P = N·OH·OW, each row the input patch under one output pixel
//   dW[KH·KW·CI, CO] = colsᵀ · dy[P, CO]
// computed as (dyᵀ · cols)ᵀ so the big `cols` is the GEMM's right operand and only the small
// dy and result get transposed.

/** Fills cols[P, KH·KW·CI] (float offsets into `heap`); out-of-image taps are zero. */
function im2col(heap: Float32Array, x: number, cols: number, info: backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  let dst = cols;
  for (let n = 0; n < batchSize; n++) {
    const image = x + n * inHeight * inWidth * inChannels;
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight - padTop + kh * dilationHeight;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth - padLeft + kw * dilationWidth;
            if (ih < 0 || ih >= inHeight || iw < 0 || iw >= inWidth) {
              heap.fill(0, dst, dst + inChannels);
            } else {
              const src = image + (ih * inWidth + iw) * inChannels;
              if (inChannels < 16) for (let c = 0; c < inChannels; c++) heap[dst + c] = heap[src + c];
              else heap.copyWithin(dst, src, src + inChannels);
            }
            dst += inChannels;
          }
        }
      }
    }
  }
}

export function conv2dBackpropFilterFast(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, attrs: Conv2DBackpropFilterAttrs): TensorInfo {
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const format = backend_util.convertConv2DDataFormat(dataFormat);
  if (format !== 'channelsLast') throw new Error(`Conv2DBackpropFilter on wasm supports NHWC only, got ${dataFormat}`);
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, format);
  const p = info.batchSize * info.outHeight * info.outWidth;
  const rowLength = info.filterHeight * info.filterWidth * info.inChannels;
  const co = info.outChannels;

  const cols = backend.makeOutput([p, rowLength], 'float32');
  const dyT = fastTranspose(backend, { dataId: dy.dataId, shape: [p, co], dtype: 'float32' }, [1, 0]) as TensorInfo;
  let gradT: TensorInfo | undefined;
  try {
    const heap = heapAllF32(backend);
    im2col(heap, dataOf(backend, x).memoryOffset >> 2, dataOf(backend, cols).memoryOffset >> 2, info);
    gradT = batchMatMulFast(backend, dyT, cols, false, false); // [CO, KH·KW·CI]
    const grad = fastTranspose(backend, gradT, [1, 0]) as TensorInfo; // [KH·KW·CI, CO]
    return { dataId: grad.dataId, shape: [...filterShape], dtype: 'float32' };
  } finally {
    backend.disposeData(cols.dataId);
    backend.disposeData(dyT.dataId);
    if (gradT) backend.disposeData(gradT.dataId);
  }
}

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) =>
    conv2dBackpropFilterFast(backend as BackendWasm, inputs.x as TensorInfo, inputs.dy as TensorInfo, attrs as unknown as Conv2DBackpropFilterAttrs),
};
