import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { backendInfo, initBackend, shutdownBackend } from '../backend';
import { geluTanh as gelu } from '../gelu';
import { fixedTensors, seededValues, wasmAgainstCpu } from '../testing';
// Gradients are registered by the models' loader (tfjs-core's Node bundle ships without them).
import '../../models/register-gradients';

// Every overridden wasm kernel against the plain JS cpu backend, on odd sizes, broadcasting and
// all transpose combinations. The native GEMM (onnxruntime-node) is off here so every product
// runs on our own wasm paths; native-gemm.unit.spec.ts covers it.
const TOLERANCE = 1e-4;

let seed = 1;
function input(shape: number[]): tf.Tensor {
  return tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed++), shape);
}

/** Inputs with fixed values, a new seed per shape. */
function fixture(shapes: number[][]): () => tf.Tensor[] {
  const make = fixedTensors(shapes, seed);
  seed += shapes.length;
  return make;
}

async function expectParity(fn: () => tf.Tensor | tf.Tensor[], reference = fn): Promise<void> {
  const { outputs, expectedOutputs, errors } = await wasmAgainstCpu(fn, reference);
  expect(outputs).toBe(expectedOutputs);
  for (const error of errors) expect(error).toBeLessThan(TOLERANCE);
}

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', gemm: 'wasm', log: () => undefined });
});

afterAll(async () => {
  await shutdownBackend();
});

describe('backend', () => {
  it('runs wasm with SIMD and reports its thread count', () => {
    const info = backendInfo();
    expect(info.name).toBe('wasm');
    expect(info.simd).toBe(true);
    expect(info.threads).toBe(Math.min(2, os.cpus().length));
    expect(tf.getBackend()).toBe('wasm');
  });

  it('is idempotent', async () => {
    const again = await initBackend({ prefer: 'cpu' });
    expect(again).toEqual(backendInfo());
  });
});

describe('BatchMatMul', () => {
  const cases: [string, number[], number[]][] = [
    ['2-D', [7, 13], [13, 5]],
    ['2-D larger odd', [33, 65], [65, 17]],
    ['3-D by shared 2-D weight', [3, 5, 7], [7, 4]],
    ['2-D by 3-D (shared left operand)', [5, 7], [3, 7, 4]],
    ['batched both sides', [4, 5, 7], [4, 7, 6]],
    ['4-D batched attention-like', [2, 3, 9, 8], [2, 3, 8, 9]],
    ['vector-like', [1, 9], [9, 1]],
  ];
  for (const [name, aShape, bShape] of cases) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        it(`${name} ${aShape}·${bShape} transposeA=${transposeA} transposeB=${transposeB}`, async () => {
          const swap = (s: number[], t: boolean) => (t ? [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]] : s);
          const make = fixture([swap(aShape, transposeA), swap(bShape, transposeB)]);
          await expectParity(() => {
            const [a, b] = make();
            return tf.matMul(a, b, transposeA, transposeB);
          });
        });
      }
    }
  }

  it('partial broadcast [2,1,M,K]·[1,3,K,N], all transposes', async () => {
    // The cpu backend returns half the elements here, so the reference tiles both operands first.
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const make = fixture([transposeA ? [2, 1, 4, 3] : [2, 1, 3, 4], transposeB ? [1, 3, 5, 4] : [1, 3, 4, 5]]);
        await expectParity(
          () => {
            const [a, b] = make();
            return tf.matMul(a, b, transposeA, transposeB);
          },
          () => {
            const [a, b] = make();
            return tf.matMul(tf.tile(a, [1, 3, 1, 1]), tf.tile(b, [2, 1, 1, 1]), transposeA, transposeB);
          },
        );
      }
    }
  });

  it('fused with bias and activation', async () => {
    const make = fixture([[6, 9], [11, 9], [11]]);
    for (const activation of ['linear', 'relu', 'sigmoid', 'elu'] as const) {
      await expectParity(() => {
        const [a, b, bias] = make();
        return tf.fused.matMul({ a, b, transposeB: true, bias, activation });
      });
    }
  });

  it('does not reuse a packed right operand across reshaped views of one buffer', async () => {
    // Same buffer, seen as [6, 8] and then [8, 6]: the stock kernel's per-id cache returned the
    // first packing for the second product.
    const make = fixture([[5, 6], [6, 8], [5, 8]]);
    await expectParity(() => {
      const [x1, w, x2] = make();
      const first = tf.matMul(x1, w);
      const second = tf.matMul(x2, tf.reshape(w, [8, 6]));
      const third = tf.matMul(x1, w);
      return [first, second, third];
    });
  });
});

describe('BatchMatMul shared with the worker thread (2^17 to 2^25 multiply-adds)', () => {
  // Row blocks are claimed by the caller and the worker; repeated so the worker has started.
  const cases: [string, number[], number[]][] = [
    ['2-D, odd rows', [301, 70], [70, 53]],
    ['batched both sides', [4, 67, 48], [4, 48, 41]],
    ['3-D by shared weight', [3, 50, 64], [64, 40]],
  ];
  for (const [name, aShape, bShape] of cases) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        it(`${name} ${aShape}·${bShape} transposeA=${transposeA} transposeB=${transposeB}`, async () => {
          const swap = (s: number[], t: boolean) => (t ? [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]] : s);
          const make = fixture([swap(aShape, transposeA), swap(bShape, transposeB)]);
          await expectParity(() => {
            const [a, b] = make();
            return Array.from({ length: 5 }, () => tf.matMul(a, b, transposeA, transposeB));
          });
        });
      }
    }
  }
});

describe('BatchMatMul large enough for the XNNPACK path (≥ 2^25 multiply-adds)', () => {
  // Smaller products run on our SIMD kernel; these go through XNNPACK (with threads when the
  // backend has them), including its packed-operand cache.
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      it(`[256,512]·[512,256] transposeA=${transposeA} transposeB=${transposeB}`, async () => {
        const make = fixture([transposeA ? [512, 256] : [256, 512], transposeB ? [256, 512] : [512, 256]]);
        await expectParity(() => {
          const [a, b] = make();
          return tf.matMul(a, b, transposeA, transposeB);
        });
      });
    }
  }
  it('does not reuse a packed right operand across large reshaped views of one buffer', async () => {
    const make = fixture([[256, 256], [256, 512], [256, 512]]);
    await expectParity(() => {
      const [x1, w, x2] = make();
      return [tf.matMul(x1, w), tf.matMul(x2, tf.reshape(w, [512, 256])), tf.matMul(x1, w)];
    });
  });
});

describe('Transpose', () => {
  const cases: [number[], number[]][] = [
    [[37, 23], [1, 0]],
    [[5, 17, 9], [0, 2, 1]],
    [[5, 17, 9], [2, 0, 1]],
    [[3, 4, 5, 6], [0, 2, 1, 3]],
    [[3, 4, 5, 6], [3, 2, 1, 0]],
    [[1, 7, 1, 5], [0, 3, 2, 1]],
    // Swaps that keep a contiguous inner run (attention head split and merge).
    [[2, 9, 4, 16], [0, 2, 1, 3]],
    [[4, 6, 5], [1, 0, 2]],
  ];
  for (const [shape, perm] of cases) {
    it(`${shape} by ${perm}`, async () => {
      const make = fixture([shape]);
      await expectParity(() => tf.transpose(make()[0], perm));
    });
  }
});

describe('Identity', () => {
  it('shares the buffer and keeps values', async () => {
    const make = fixture([[3, 5]]);
    await expectParity(() => tf.clone(make()[0]));
    const x = input([3, 5]);
    const before = tf.memory().numDataBuffers;
    const y = tf.clone(x);
    expect(tf.memory().numDataBuffers).toBe(before);
    x.dispose();
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    y.dispose();
  });
});

describe('Cast', () => {
  it('to the same dtype shares the buffer; the original can go first', () => {
    const x = input([3, 5]);
    const values = Array.from(x.dataSync());
    const before = tf.memory().numDataBuffers;
    const y = tf.cast(x, 'float32');
    expect(tf.memory().numDataBuffers).toBe(before);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual(values);
    y.dispose();
  });

  it('converts between dtypes as the cpu backend does', async () => {
    await expectParity(() => {
      const f = tf.tensor1d([-2.7, -0.5, 0, 0.4, 1.5, 3.9]);
      const i = tf.tensor1d([-3, 0, 7], 'int32');
      const b = tf.tensor1d([1, 0, 1], 'bool');
      return [tf.cast(tf.cast(f, 'int32'), 'float32'), tf.cast(i, 'float32'), tf.cast(b, 'float32'), tf.cast(tf.cast(f, 'bool'), 'float32')];
    });
  });

  it('keeps the gradient of a product (which casts both operands) right', async () => {
    const make = fixture([[4, 6], [4, 6]]);
    await expectParity(() => {
      const [a, b] = make();
      return tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.mul(x, y), x)))([a, b]);
    });
  });
});

describe('Add', () => {
  it('same shapes (the C kernel when loaded), broadcasting and int32 (the stock kernel) match the cpu backend', async () => {
    const make = fixture([[37, 5], [37, 5], [5]]);
    await expectParity(() => {
      const [a, b, row] = make();
      return [tf.add(a, b), tf.add(a, row), tf.cast(tf.add(tf.tensor1d([1, -2, 3], 'int32'), tf.tensor1d([4, 5, -6], 'int32')), 'float32')];
    });
  });

  it('sums gradients that meet at one tensor', async () => {
    const make = fixture([[16, 8]]);
    await expectParity(() => {
      const [a] = make();
      return tf.grad((x: tf.Tensor) => tf.sum(tf.add(tf.mul(x, x), tf.sin(x))))(a);
    });
  });
});

describe('Conv2DBackpropFilter', () => {
  const cases: [string, number[], number[], [number, number], 'same' | 'valid'][] = [
    ['3×3 same, 3 channels', [2, 9, 7, 3], [3, 3, 3, 4], [1, 1], 'same'],
    ['3×3 stride 2 same, 20 channels', [2, 8, 9, 20], [3, 3, 20, 5], [2, 2], 'same'],
    ['2×4 valid', [1, 7, 9, 2], [2, 4, 2, 3], [1, 2], 'valid'],
  ];
  for (const [name, xShape, fShape, strides, pad] of cases) {
    it(`${name}: filter and input gradients`, async () => {
      const make = fixture([xShape, fShape]);
      await expectParity(() => {
        const [x, f] = make();
        const loss = (xx: tf.Tensor, ff: tf.Tensor) => tf.sum(tf.square(tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, strides, pad)));
        const [dx, df] = tf.grads(loss)([x, f]);
        return [tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, strides, pad), dx, df];
      });
    });
  }
});

describe('depthwise Conv2D gradients', () => {
  const cases: [string, number[], number[], [number, number], 'same' | 'valid'][] = [
    ['3×3 same, multiplier 1', [2, 7, 6, 5], [3, 3, 5, 1], [1, 1], 'same'],
    ['3×3 stride 2 same, multiplier 2', [1, 9, 8, 3], [3, 3, 3, 2], [2, 2], 'same'],
    ['2×3 valid', [2, 6, 7, 4], [2, 3, 4, 1], [1, 1], 'valid'],
  ];
  for (const [name, xShape, fShape, strides, pad] of cases) {
    it(`${name}: filter and input gradients`, async () => {
      const make = fixture([xShape, fShape]);
      await expectParity(() => {
        const [x, f] = make();
        const loss = (xx: tf.Tensor, ff: tf.Tensor) => tf.sum(tf.square(tf.depthwiseConv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, strides, pad)));
        return tf.grads(loss)([x, f]);
      });
    });
  }
});

describe('UnsortedSegmentSum (the gradient of gather)', () => {
  it('matches the cpu backend for an embedding lookup with repeated ids', async () => {
    const make = fixture([[11, 6]]);
    const ids = [3, 0, 3, 10, 7, 3, 1];
    await expectParity(() => {
      const [table] = make();
      const idx = tf.tensor2d([ids.slice(0, 4).concat(ids.slice(0, 3)), ids], [2, 7], 'int32');
      return tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, idx))))(table);
    });
  });
  it('drops out-of-range ids', async () => {
    const make = fixture([[5, 3]]);
    await expectParity(() => tf.unsortedSegmentSum(make()[0], tf.tensor1d([0, 4, -1, 2, 4], 'int32'), 4));
  });
});

describe('GatherV2', () => {
  const cases: [string, number[], number[], number][] = [
    ['rows of images (axis 0, repeats)', [9, 5, 3, 2], [4, 0, 4, 8, 1], 0],
    ['a middle axis, 2-D indices', [3, 7, 5], [6, 0, 2, 6, 1, 1], 1],
    ['the last axis', [4, 6], [5, 0, 3], 1],
  ];
  for (const [name, shape, ids, axis] of cases) {
    it(`${name}: values and gradient`, async () => {
      const make = fixture([shape]);
      const idxShape = name.includes('2-D') ? [2, ids.length / 2] : [ids.length];
      await expectParity(() => {
        const [x] = make();
        const idx = tf.tensor(ids, idxShape, 'int32');
        return [tf.gather(x, idx, axis), tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, idx, axis))))(x)];
      });
    });
  }
  it('gathers int32 values', async () => {
    await expectParity(() => tf.cast(tf.gather(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), tf.tensor1d([2, 0], 'int32')), 'float32'));
  });
  it('refuses an index outside the axis', () => {
    expect(() => tf.gather(tf.ones([3, 2]), tf.tensor1d([0, 3], 'int32'))).toThrow(/index value 3 is not in \[0, 2\]/);
  });
});

describe('SplitV, Concat, Pack and Unpack', () => {
  // Short runs (element loops) and long runs (heap copies), first, middle and last axes.
  const cases: [string, number[], number[], number][] = [
    ['the DiT\'s adaLN split: 9 ways along the last axis (runs of 64)', [16, 576], [64, 64, 64, 64, 64, 64, 64, 64, 64], 1],
    ['uneven parts along a middle axis with short runs', [3, 7, 5], [2, 4, 1], 1],
    ['the first axis, with an inferred size (−1)', [6, 4, 3], [1, -1, 2], 0],
    ['a negative axis and an empty part', [5, 9], [4, 0, 5], -1],
  ];
  for (const [name, shape, sizes, axis] of cases) {
    it(`${name}: split, concatenated back, values and gradients`, async () => {
      const make = fixture([shape, shape]);
      await expectParity(() => {
        const [x, w] = make();
        const parts = tf.split(x, sizes, axis);
        const back = tf.concat(parts.map((p, i) => tf.mul(p, i + 1)), axis);
        const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.concat(tf.split(t, sizes, axis).reverse(), axis), w)))(x);
        return [...parts.filter((p) => p.size > 0), back, grad];
      });
    });
  }

  it('stacks and unstacks along every axis, with gradients', async () => {
    const make = fixture([[4, 3, 5], [4, 3, 5], [4, 3, 5]]);
    await expectParity(() => {
      const xs = make();
      const out: tf.Tensor[] = [];
      for (const axis of [0, 1, 3, -1]) {
        const packed = tf.stack(xs, axis);
        out.push(packed, ...tf.unstack(packed, axis));
      }
      out.push(...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.stack([a, b, a], 2))))([xs[0], xs[1]]));
      return out;
    });
  });

  it('copies int32 values bit for bit (as floats some would be NaN payloads)', async () => {
    const values = [1, -1, 0x7fc00001, 0x7f800001, 3, -2147483648]; // (3, 2)
    await tf.setBackend('wasm');
    const [joined, stacked] = tf.tidy(() => {
      const [left, right] = tf.split(tf.tensor2d(values, [3, 2], 'int32'), 2, 1);
      return [tf.concat([right, left], 1), tf.stack([left, right], 0)];
    });
    expect(Array.from(joined.dataSync())).toEqual([values[1], values[0], values[3], values[2], values[5], values[4]]);
    expect(Array.from(stacked.dataSync())).toEqual([values[0], values[2], values[4], values[1], values[3], values[5]]);
    tf.dispose([joined, stacked]);
  });

  it('leaves bool tensors to the stock kernels', async () => {
    await expectParity(() => {
      const a = tf.cast(tf.tensor1d([1, 0, 1, 1]), 'bool');
      return tf.cast(tf.concat([a, tf.logicalNot(a)]), 'float32');
    });
  });
});

describe('gelu', () => {
  it('equals the tanh form and its gradient', async () => {
    const make = fixture([[257]]);
    const tanhForm = (x: tf.Tensor) =>
      tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))));
    await expectParity(
      () => {
        const x = tf.mul(make()[0], 4);
        return [gelu(x), tf.grad((v: tf.Tensor) => tf.sum(gelu(v)))(x)];
      },
      () => {
        const x = tf.mul(make()[0], 4);
        return [tanhForm(x), tf.grad((v: tf.Tensor) => tf.sum(tanhForm(v)))(x)];
      },
    );
  });
  it('has the known values', () => {
    const y = gelu(tf.tensor([0, 1, -1, 3])).dataSync();
    const expected = [0, 1, -1, 3].map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))));
    expected.forEach((e, i) => expect(y[i]).toBeCloseTo(e, 6));
    expect(y[1]).toBeCloseTo(0.841192, 5);
  });
});

describe('a dense + attention block', () => {
  // x[B·T, D] → q, k, v → softmax(q·kᵀ/√d)·v → dense → GELU-free loss; forward and all gradients.
  const B = 2;
  const T = 5;
  const D = 8;
  const H = 2;
  const hs = D / H;
  const make = fixture([[B * T, D], [D, D], [D, D], [D, D], [D, D], [D]]);
  function block(x: tf.Tensor, wq: tf.Tensor, wk: tf.Tensor, wv: tf.Tensor, wo: tf.Tensor, bo: tf.Tensor): tf.Tensor {
    const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, hs]), [0, 2, 1, 3]); // (B, H, T, hs)
    const q = heads(tf.matMul(x, wq));
    const k = heads(tf.matMul(x, wk));
    const v = heads(tf.matMul(x, wv));
    const att = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hs))); // (B, H, T, T)
    const y = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B * T, D]); // (B·T, D)
    return tf.add(tf.matMul(y, wo), bo);
  }
  it('matches the cpu backend forward and backward', async () => {
    await expectParity(() => {
      const params = make();
      const out = block(...(params as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]));
      const grads = tf.grads((...p: tf.Tensor[]) => tf.sum(tf.square(block(...(p as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor])))))(params);
      return [out, ...grads];
    });
  });
});

describe('memory', () => {
  it('holds tensor and heap counts steady over repeated kernel calls', () => {
    const [a, b, w, x, f] = [input([3, 7, 9]), input([3, 11, 9]), input([9, 5]), input([2, 6, 6, 4]), input([3, 3, 4, 2])];
    const step = () =>
      tf.tidy(() => {
        const p = tf.matMul(a, b, false, true);
        const q = tf.matMul(a, w);
        const s = tf.sum(tf.reshape(q, [21, 5]), 0);
        const g = tf.grad((ff: tf.Tensor) => tf.sum(tf.conv2d(x as tf.Tensor4D, ff as tf.Tensor4D, 1, 'same')))(f);
        return tf.add(tf.sum(p), tf.add(tf.sum(s), tf.sum(g))).dataSync();
      });
    step();
    const tensors = tf.memory().numTensors;
    const dataIds = tf.engine().backend.numDataIds();
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.engine().backend.numDataIds()).toBe(dataIds);
    tf.dispose([a, b, w, x, f]);
  });
});
