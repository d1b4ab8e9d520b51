import * as tf from '@tensorflow/tfjs-core';
import { backendInfo, initBackend, shutdownBackend } from '../backend';
import { availableGemms, fixedTensors, wasmAgainstCpu } from '../testing';
import { BLAS_ALL_THREADS_MIN_MACS, startBlasGemm } from './blas-gemm';
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

  it('auto moves on to the next provider with the reason; a provider named explicitly must start', () => {
    const fake = { provider: 'fake GEMM', threads: 1, minMacs: 1, minBatchedMacs: 1, product: () => undefined, dispose: () => undefined };
    const missing = () => ({ reason: 'not installed here' });
    try {
      expect(startNativeGemm('auto', 1, { openblas: missing, onnxruntime: () => ({ gemm: fake }) })).toEqual({ gemm: fake, reasons: ['openblas: not installed here'] });
      expect(activeNativeGemm()).toBe(fake);
      expect(startNativeGemm('auto', 1, { openblas: missing, onnxruntime: missing })).toEqual({ reasons: ['openblas: not installed here', 'onnxruntime: not installed here'] });
      expect(activeNativeGemm()).toBeUndefined();
      expect(() => startNativeGemm('openblas', 1, { openblas: missing, onnxruntime: () => ({ gemm: fake }) })).toThrow(
        expect.objectContaining({ code: 'GEMM_UNAVAILABLE', message: 'FORGE_ML_GEMM=openblas but openblas: not installed here' }),
      );
    } finally {
      startNativeGemm('wasm', 1);
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
    // Native C kernels off: the attention products below must reach the provider.
    await initBackend({ prefer: 'wasm', gemm: provider as 'openblas' | 'onnxruntime', nativeKernels: 'off', log: () => undefined });
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

  it('products large enough for every thread, transposed either side', async () => {
    expect(1024 * 256 * 256).toBeGreaterThanOrEqual(BLAS_ALL_THREADS_MIN_MACS);
    const make = fixture([[1024, 256], [256, 256]]);
    await expectParity(() => {
      const [a, b] = make();
      return [tf.matMul(a, b), tf.matMul(a, b, false, true), tf.matMul(tf.transpose(a), b, true, false)];
    });
  });

  it('attention heads run their products here in place when the provider takes offsets (OpenBLAS)', async () => {
    const gemm = activeNativeGemm();
    if (!gemm?.gemmAt) return expect(provider).toBe('onnxruntime'); // copies whole tensors: attention stays on our kernels
    const original = gemm.gemmAt;
    const calls: string[] = [];
    gemm.gemmAt = (f32, transA, transB, m, n, k, a, lda, b, ldb, c, ldc) => {
      calls.push(`${+transA}${+transB} ${m}×${n}×${k} ld ${lda},${ldb},${ldc}`);
      original(f32, transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
    };
    try {
      const make = fixture([[2 * 8, 12], [2 * 5, 12], [2 * 5, 12], [2 * 8, 12]]);
      const run = (attend: (q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D) => tf.Tensor2D) => () => {
        const [q, k, v, w] = make() as tf.Tensor2D[];
        const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(attend(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D), w));
        return [attend(q, k, v), ...tf.grads(loss)([q, k, v])];
      };
      const split = (x: tf.Tensor, t: number) => tf.transpose(tf.reshape(x, [2, t, 3, 4]), [0, 2, 1, 3]);
      await expectParity(
        run((q, k, v) => multiHeadAttention(q, k, v, 2, 3)),
        run((q, k, v) => {
          const p = tf.softmax(tf.div(tf.matMul(split(q, 8), split(k, 5), false, true), 2));
          return tf.reshape(tf.transpose(tf.matMul(p, split(v, 5)), [0, 2, 1, 3]), [16, 12]) as tf.Tensor2D;
        }),
      );
      // Per head (2 samples × 3 heads): 2 products forward (twice: the output, and inside the
      // gradient's loss) and 4 backward, each reading its 4-column block of the (B·T, 12) tensors.
      expect(calls).toHaveLength(6 * (2 + 2 + 4));
      expect(calls).toContain('01 8×5×4 ld 12,12,5'); // scores q·kᵀ
      expect(calls).toContain('00 8×4×5 ld 5,12,12'); // output p·v, written in place
      expect(calls).toContain('10 5×4×8 ld 5,12,12'); // dv = pᵀ·dy, dk = dsᵀ·q
    } finally {
      gemm.gemmAt = original;
    }
  });
});
