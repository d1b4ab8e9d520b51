export { OnnxSampler } from './onnx-sampler';
export { DitOnnxSession } from './dit-session';
export type { DitOnnxFeeds } from './dit-session';
export { buildDitGraph, ditOnnxModel, DIT_ONNX_INPUTS, DIT_ONNX_OUTPUT } from './dit-graph';
export { loadOrt, ortAvailable, samplingSessionOptions } from './ort';
export type { OrtSessionOptions } from './ort';
