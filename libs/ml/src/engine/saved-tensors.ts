import * as tf from '@tensorflow/tfjs-core';

// While recording gradients, tfjs-core keeps every tensor a gradient will need by cloning it:
// a full Identity kernel call through the engine (scope, tape node, profiling hooks) per saved
// tensor, ≈540 per demo DiT step, a third of its kernel calls. On backends whose Identity shares
// the buffer (cpu, and wasm with our override) a saved tensor is the same buffer with one more
// reference, which is what this makes directly. The tape node the clone would add is never on a
// gradient path (nothing consumes the saved copy), so gradients are unchanged.

interface EngineInternals {
  backendName: string;
  backend: { incRef(dataId: object): void };
  keep<T extends tf.Tensor>(t: T): T;
  makeTensorFromTensorInfo(info: { dataId: object; shape: number[]; dtype: tf.DataType }): tf.Tensor;
  saveTensorsForBackwardMode(tensors: tf.Tensor[]): tf.Tensor[];
}

const SHARING_BACKENDS = new Set<string>();
let installed = false;

/** Saved tensors on `backendName` become extra references (its Identity must share buffers). */
export function shareSavedTensorsOn(backendName: string): void {
  SHARING_BACKENDS.add(backendName);
  if (installed) return;
  const engine = tf.engine() as unknown as EngineInternals;
  const original = engine.saveTensorsForBackwardMode;
  engine.saveTensorsForBackwardMode = function (this: EngineInternals, tensors: tf.Tensor[]): tf.Tensor[] {
    if (!SHARING_BACKENDS.has(this.backendName)) return original.call(this, tensors);
    return tensors.map((t) => {
      this.backend.incRef(t.dataId);
      return this.keep(this.makeTensorFromTensorInfo({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }));
    });
  };
  installed = true;
}

/** Back to tfjs-core's clones on `backendName` (e.g. wasm started without our kernels). */
export function cloneSavedTensorsOn(backendName: string): void {
  SHARING_BACKENDS.delete(backendName);
}
