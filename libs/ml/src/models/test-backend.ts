import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';

/** Backend for the model tests: stock WebAssembly (one thread) keeps tiny models fast enough. */
export async function setupTestBackend(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
}
