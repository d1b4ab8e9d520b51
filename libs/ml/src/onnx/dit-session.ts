import { DitConfig } from '../models/dit';
import { ParamStore } from '../models/params';
import { ditOnnxModel, DIT_ONNX_INPUTS, DIT_ONNX_OUTPUT } from './dit-graph';
import { loadOrt, OrtSession, OrtSessionOptions, OrtTensor, samplingSessionOptions } from './ort';

/** One DiT evaluation's inputs, row-major like the tfjs tensors they come from. */
export interface DitOnnxFeeds {
  /** Samples in the batch (B). */
  batch: number;
  /** Text tokens per sample (L). */
  textLength: number;
  /** (B, H, W, C) noisy images. */
  x: Float32Array;
  /** (B) timesteps as ditForward takes them (index + 1). */
  t: Float32Array;
  /** (B, L, Dc) text tokens. */
  tokens: Float32Array;
  /** (B, L) 1 = real token. */
  mask: Float32Array;
  /** (B, Dc) pooled text. */
  pooled: Float32Array;
}

function invalid(message: string): Error {
  return Object.assign(new Error(message), { code: 'INVALID_INPUT' });
}

/** ditForward on onnxruntime-node, for one ParamStore's weights as they were when it was created. */
export class DitOnnxSession {
  private constructor(
    private readonly session: OrtSession,
    readonly config: DitConfig,
  ) {}

  /** Exports the store's current weights and loads them into ORT (later changes to the store are not seen). */
  static create(store: ParamStore, config: DitConfig, options: OrtSessionOptions = samplingSessionOptions()): DitOnnxSession {
    const ort = loadOrt();
    return new DitOnnxSession(ort.createSession(ditOnnxModel(store, config), options), config);
  }

  private shapes(batch: number, textLength: number): Record<(typeof DIT_ONNX_INPUTS)[number], number[]> {
    const { imageSize: s, channels: c, contextDim: dc } = this.config;
    return { x: [batch, s, s, c], t: [batch], tokens: [batch, textLength, dc], mask: [batch, textLength], pooled: [batch, dc] };
  }

  /** The network's raw output (ε or v, as ditForward): (B, H, W, C) flattened. */
  run(feeds: DitOnnxFeeds): Float32Array {
    const { batch, textLength } = feeds;
    if (!Number.isInteger(batch) || batch < 1) throw invalid(`DiT ONNX session: batch must be a positive integer, got ${batch}`);
    if (!Number.isInteger(textLength) || textLength < 1) throw invalid(`DiT ONNX session: textLength must be a positive integer, got ${textLength}`);
    const shapes = this.shapes(batch, textLength);
    const tensors: Record<string, OrtTensor> = {};
    for (const name of DIT_ONNX_INPUTS) {
      const data = feeds[name] as Float32Array | undefined;
      const dims = shapes[name];
      const size = dims.reduce((n, d) => n * d, 1);
      if (!(data instanceof Float32Array)) throw invalid(`DiT ONNX session: input '${name}' is missing (expected a Float32Array of shape [${dims}])`);
      if (data.length !== size) throw invalid(`DiT ONNX session: input '${name}' has ${data.length} values, shape [${dims}] needs ${size}`);
      tensors[name] = { type: 'float32', dims, data, location: 'cpu' };
    }
    return this.session.run(tensors, [DIT_ONNX_OUTPUT])[DIT_ONNX_OUTPUT].data;
  }

  release(): void {
    this.session.release();
  }
}
