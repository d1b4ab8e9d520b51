import * as tf from '@tensorflow/tfjs-core';
import { backendInfo, initBackend, shutdownBackend } from '../backend';
import { availableGemms, fixedTensors, wasmAgainstCpu } from '../testing';
import { startBlasGemm } from './blas-gemm';
import { multiHeadAttention } from './fused-attention';
import { activeNativeGemm, nativeGemmChoice, startNativeGemm, worthNative } from './native-gemm';
import { fusedMatMulModel } from './native-gemm-model';
import { ORT_MIN_BATCHED_MACS, ORT_MIN_MACS } from './ort-gemm';
import '../../models/register-gradients';

// Matrix products on each native GEMM installed here (OpenBLAS through koffi, onnxruntime-node)
// against the plain JS cpu backend. Thresholds are lowered to 1 so every product, however small,
// takes the native path.

const natives = availableGemms().filter((g) => g !== 'wasm');
const PROVIDER_NAMES: Record<string, RegExp> = { openblas: /OpenBLAS \S+ \S+ via koffi/, onnxruntime: /onnxruntime-node@\d+\.\d+\.\d+/ };

let seed = 100;
/** Inputs with fixed values, a new seed per shape. */
function fixture(shapes: number[][]): () => tf.Tensor[] {
  const make = fixedTensors(shapes, seed);
  seed += shapes.length;
  return make;
}

async function expectParity(fn: () => tf.Tensor | tf.Tensor[], reference = fn): Promise<void> {
  const { outputs, expectedOutputs, errors } = await wasmAgainstCpu(fn, reference);
  expect(outputs).toBe(expectedOutputs);
  for (const error of errors) expect(error).toBeLessThan(1e-4);
}

const swap = (s: number[], t: boolean) => (t ? [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]] : s);

describe('FORGE_ML_GEMM', () => {
  it('defaults to auto, accepts each provider and wasm, and names a bad value', () => {
    expect(nativeGemmChoice(undefined)).toBe('auto');
    expect(nativeGemmChoice('')).toBe('auto');
    for (const choice of ['openblas', 'onnxruntime', 'wasm']) expect(nativeGemmChoice(choice)).toBe(choice);
    expect(() => nativeGemmChoice('blas')).toThrow(/FORGE_ML_GEMM must be one of 'auto', 'openblas', 'onnxruntime', 'wasm', got 'blas'/);
  });

  it('wasm starts no provider; auto starts the first one installed here', () => {
    expect(startNativeGemm('wasm', 1)).toEqual({ reasons: [] });
    const auto = startNativeGemm('auto', 1);
    try {
      if (natives.length === 0) expect(auto.gemm).toBeUndefined();
      else expect(auto.gemm?.provider).toMatch(PROVIDER_NAMES[natives[0]]);
    } finally {
      startNativeGemm('wasm', 1); // stops it
    }
  });

  it('says why OpenBLAS cannot start: no such library, or a library that is not OpenBLAS', () => {
    expect(startBlasGemm(1, {}, ['libforge-no-such-blas.so']).reason).toMatch(/^OpenBLAS not found \(libforge-no-such-blas\.so: .+; install it with apt-get install libopenblas0\)$/);
    expect(startBlasGemm(1, {}, ['libm.so.6']).reason).toMatch(/^the library found is not OpenBLAS/);
  });

  it('decides by size (onnxruntime thresholds): single products from 2^20 multiply-adds, batches from 2^17 per matrix', () => {
    const gemm = { minMacs: ORT_MIN_MACS, minBatchedMacs: ORT_MIN_BATCHED_MACS };
    const product = { transposeA: false, batchA: 1, batchB: 1, batch: 1, m: 512, n: 48, k: 48 };
    expect(worthNative(gemm, product)).toBe(true); // 2^20.2
    expect(worthNative(gemm, { ...product, m: 256 })).toBe(false);
    // A shared right operand folds 32 × [16, 48] into one [512, 48] product.
    expect(worthNative(gemm, { ...product, batchA: 32, batch: 32, m: 16 })).toBe(true);
    // Attention: 128 products of 16×16×12 each stay on the wasm kernels.
    expect(worthNative(gemm, { transposeA: false, batchA: 128, batchB: 128, batch: 128, m: 16, n: 16, k: 12 })).toBe(false);
    expect(worthNative(gemm, { transposeA: false, batchA: 64, batchB: 64, batch: 64, m: 64, n: 64, k: 48 })).toBe(true);
  });

  it('builds a FusedMatMul model naming both operator sets', () => {
    const text = Buffer.from(fusedMatMulModel(true, false, 3, 2)).toString('latin1');
    expect(text).toContain('FusedMatMul');
    expect(text).toContain('com.microsoft');
    expect(text).toContain('transA');
  });
});

(natives.length > 0 ? describe.each(natives) : describe.skip.each(['none']))('BatchMatMul on %s', (provider) => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', gemm: provider as 'openblas' | 'onnxruntime', log: () => undefined });
    const gemm = activeNativeGemm();
    if (!gemm) throw new Error(`${provider} is installed but the native GEMM did not start`);
    gemm.minMacs = 1;
    gemm.minBatchedMacs = 1;
  });

  afterAll(async () => {
    await shutdownBackend();
  });

  it('says so in the backend version recorded with every training run', () => {
    expect(backendInfo().version).toMatch(/products ≥ 2\^\d+ multiply-adds on .+ \(\d threads?\)/);
    expect(backendInfo().version).toMatch(PROVIDER_NAMES[provider]);
  });

  const cases: [string, number[], number[]][] = [
    ['2-D odd', [33, 65], [65, 17]],
    ['3-D by shared 2-D weight', [3, 5, 7], [7, 4]],
    ['2-D by 3-D (shared left operand)', [5, 7], [3, 7, 4]],
    ['batched both sides', [4, 5, 7], [4, 7, 6]],
    ['4-D attention-like', [2, 3, 9, 8], [2, 3, 8, 9]],
  ];
  for (const [name, aShape, bShape] of cases) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        it(`${name} ${aShape}·${bShape} transposeA=${transposeA} transposeB=${transposeB}`, async () => {
          const make = fixture([swap(aShape, transposeA), swap(bShape, transposeB)]);
          await expectParity(() => {
            const [a, b] = make();
            return tf.matMul(a, b, transposeA, transposeB);
          });
        });
      }
    }
  }

  it('partial broadcast [2,1,M,K]·[1,3,K,N] (expanded first, then native)', async () => {
    const make = fixture([[2, 1, 3, 4], [1, 3, 4, 5]]);
    await expectParity(
      () => {
        const [a, b] = make();
        return tf.matMul(a, b);
      },
      () => {
        const [a, b] = make();
        return tf.matMul(tf.tile(a, [1, 3, 1, 1]), tf.tile(b, [2, 1, 1, 1]));
      },
    );
  });

  it('reuses its buffers across sizes: large, small, then large again', async () => {
    const make = fixture([[300, 120], [120, 90], [7, 5], [5, 3]]);
    await expectParity(() => {
      const [a, b, c, d] = make();
      return [tf.matMul(a, b), tf.matMul(c, d), tf.matMul(a, b, false, false)];
    });
  });

  it('fused with bias and activation, and through a gradient', async () => {
    const make = fixture([[6, 9], [11, 9], [11]]);
    await expectParity(() => {
      const [a, b, bias] = make();
      const fused = tf.fused.matMul({ a, b, transposeB: true, bias, activation: 'relu' });
      const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, false, true))))([a, b]);
      return [fused, ga, gb];
    });
  });

  it('products large enough for every thread (≥ 2^23 multiply-adds), transposed either side', async () => {
    const make = fixture([[1024, 96], [96, 96]]);
    await expectParity(() => {
      const [a, b] = make();
      return [tf.matMul(a, b), tf.matMul(a, b, false, true), tf.matMul(tf.transpose(a), b, true, false)];
    });
  });

  it('attention heads run their strided products here when the provider takes them (OpenBLAS)', async () => {
    const gemm = activeNativeGemm();
    if (!gemm?.sharedProduct) return expect(provider).toBe('onnxruntime'); // copies whole tensors: attention stays on our kernels
    const original = gemm.sharedProduct;
    let calls = 0;
    gemm.sharedProduct = (f32, p) => {
      calls++;
      return original(f32, p);
    };
    try {
      const make = fixture([[2 * 8, 12], [2 * 8, 12], [2 * 8, 12]]);
      await expectParity(
        () => {
          const [q, k, v] = make();
          return multiHeadAttention(q as tf.Tensor2D, k as tf.Tensor2D, v as tf.Tensor2D, 2, 3);
        },
        () => {
          const [q, k, v] = make();
          const split = (x: tf.Tensor) => tf.transpose(tf.reshape(x, [2, 8, 3, 4]), [0, 2, 1, 3]);
          const p = tf.softmax(tf.div(tf.matMul(split(q), split(k), false, true), 2));
          return tf.reshape(tf.transpose(tf.matMul(p, split(v)), [0, 2, 1, 3]), [16, 12]);
        },
      );
      expect(calls).toBe(2); // scores and output, each one strided batch over the 6 heads
    } finally {
      gemm.sharedProduct = original;
    }
  });
});
