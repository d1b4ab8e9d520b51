import * as tf from '@tensorflow/tfjs-core';
import { startBlasGemm } from './kernels/blas-gemm';
import type { NativeGemmChoice } from './kernels/native-gemm';
import { loadNativeKernels, type NativeKernelsChoice } from './kernels/native-kernels';

// Helpers for parity tests: the same computation on two backends, compared element-wise.

/** Deterministic values in [-1, 1) (a small LCG), so failures reproduce. */
export function seededValues(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2147483648 - 1;
  }
  return out;
}

/** Runs `fn` on `backend` and returns every output tensor's values (tensors disposed). */
export async function valuesOn(backend: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  const previous = tf.getBackend();
  await tf.setBackend(backend);
  try {
    const outs = tf.tidy(fn);
    const list = Array.isArray(outs) ? outs : [outs];
    const values = list.map((t) => Float32Array.from(t.dataSync()));
    tf.dispose(list);
    return values;
  } finally {
    if (previous && previous !== backend) await tf.setBackend(previous);
  }
}

/** max |a − b| / max(max |b|, tiny): error relative to the reference's scale. */
export function relativeError(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    if (!Number.isFinite(actual[i])) return Infinity;
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(scale, 1e-12);
}

/** A builder of tensors with fixed values (seeds `seed`, `seed + 1`, … per shape), so both backends see identical data. */
export function fixedTensors(shapes: number[][], seed: number): () => tf.Tensor[] {
  const values = shapes.map((s, i) => seededValues(s.reduce((a, b) => a * b, 1), seed + i));
  return () => shapes.map((s, i) => tf.tensor(values[i], s));
}

/** `fn` on wasm against `reference` on cpu: how many outputs each gave, and each output's relative error. */
export async function wasmAgainstCpu(fn: () => tf.Tensor | tf.Tensor[], reference = fn): Promise<{ outputs: number; expectedOutputs: number; errors: number[] }> {
  const expected = await valuesOn('cpu', reference);
  const actual = await valuesOn('wasm', fn);
  return { outputs: actual.length, expectedOutputs: expected.length, errors: expected.map((e, i) => (i < actual.length ? relativeError(actual[i], e) : Infinity)) };
}

/** Where products can run on this machine: our kernels always, native providers when installed. */
export function availableGemms(): NativeGemmChoice[] {
  const gemms: NativeGemmChoice[] = ['wasm'];
  if (startBlasGemm(1).gemm) gemms.push('openblas');
  try {
    require.resolve('onnxruntime-node');
    gemms.push('onnxruntime');
  } catch {
    // not installed: nothing to test there
  }
  return gemms;
}

/** The native kernel settings to test: `off` always, `auto` when this machine can build them. */
export function availableNativeKernels(): NativeKernelsChoice[] {
  return loadNativeKernels().kernels ? ['off', 'auto'] : ['off'];
}
