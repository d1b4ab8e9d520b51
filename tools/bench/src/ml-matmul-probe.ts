import * as tf from '@tensorflow/tfjs-core';
import { geluTanh as gelu, gflops, initBackend, matMulFlops, profileKernels, shutdownBackend, timeStep, type NativeGemmChoice } from '@forge/ml';
import { median } from './harness';
import { nativeStep } from './ml-native-step';

// One backend configuration per process (two wasm modules cannot share a process: stock kernels
// bind their C functions to the last module initialised). ml.bench.ts runs this file as a child:
//   argv[2] = JSON ProbeRequest; prints one JSON ProbeResult line on stdout.

export interface MatMulCase {
  name: string;
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
  /** batch, M, N, K of the product, for the operation count. */
  dims: [number, number, number, number];
}

export interface ProbeRequest {
  backend: 'wasm' | 'cpu';
  threads: number;
  kernelOverrides: boolean;
  /** Where products run: our kernels, or a native provider (the probe fails when it is missing). */
  gemm: NativeGemmChoice;
  runs: number;
  cases: MatMulCase[];
  /** Also time one training step of the reference transformer block. */
  step: boolean;
}

export interface ProbeResult {
  backend: string;
  threads: number;
  gflops: Record<string, number>;
  /** Median step time and, per run, the step's time paired with its native equivalent measured right after (ml-native-step.ts). */
  step?: { ms: number; gflops: number; pairs: { wasmMs: number; nativeMs: number }[] };
}

/**
 * A reference training step independent of the model code: 2 pre-LN transformer layers
 * (D 192, 4 heads, MLP 4×, GELU), batch 16 × 64 tokens, loss mean(y²), gradients of all weights.
 */
export const REFERENCE_STEP = { batch: 16, tokens: 64, dim: 192, heads: 4, layers: 2 };

export function referenceStepFlops(): number {
  const { batch, tokens, dim, heads, layers } = REFERENCE_STEP;
  const rows = batch * tokens;
  const hs = dim / heads;
  const forward = 4 * matMulFlops(1, rows, dim, dim) + 2 * matMulFlops(batch * heads, tokens, tokens, hs) + 2 * matMulFlops(1, rows, 4 * dim, dim);
  return 3 * layers * forward; // backward ≈ 2× forward
}

function referenceStep(): () => void {
  const { batch: B, tokens: T, dim: D, heads: H, layers } = REFERENCE_STEP;
  const hs = D / H;
  let seed = 10;
  const w = (shape: number[]) => tf.randomNormal(shape, 0, 1 / Math.sqrt(shape[0]), 'float32', seed++);
  const params: tf.Tensor[] = [];
  for (let l = 0; l < layers; l++) params.push(w([D, D]), w([D, D]), w([D, D]), w([D, D]), w([D, 4 * D]), tf.zeros([4 * D]), w([4 * D, D]), tf.zeros([D]));
  const x = tf.randomNormal([B * T, D], 0, 1, 'float32', 99);
  const norm = (t: tf.Tensor) => {
    const { mean, variance } = tf.moments(t, -1, true);
    return tf.mul(tf.sub(t, mean), tf.rsqrt(tf.add(variance, 1e-5)));
  };
  const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, hs]), [0, 2, 1, 3]); // (B, H, T, hs)
  const loss = (...p: tf.Tensor[]) => {
    let h = x; // (B·T, D)
    for (let l = 0; l < layers; l++) {
      const [wq, wk, wv, wo, w1, b1, w2, b2] = p.slice(l * 8, l * 8 + 8);
      const n = norm(h);
      const att = tf.softmax(tf.mul(tf.matMul(heads(tf.matMul(n, wq)), heads(tf.matMul(n, wk)), false, true), 1 / Math.sqrt(hs))); // (B, H, T, T)
      const o = tf.reshape(tf.transpose(tf.matMul(att, heads(tf.matMul(n, wv))), [0, 2, 1, 3]), [B * T, D]);
      h = tf.add(h, tf.matMul(o, wo));
      h = tf.add(h, tf.add(tf.matMul(gelu(tf.add(tf.matMul(norm(h), w1), b1)), w2), b2));
    }
    return tf.mean(tf.square(h));
  };
  return () => tf.tidy(() => tf.grads(loss)(params)).forEach((g) => g.dispose());
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2]) as ProbeRequest;
  const info = await initBackend({ prefer: request.backend, threads: request.threads, kernelOverrides: request.kernelOverrides, gemm: request.gemm, log: () => undefined });
  const result: ProbeResult = { backend: info.version, threads: info.threads, gflops: {} };
  for (const c of request.cases) {
    const a = tf.randomNormal(c.a, 0, 1, 'float32', 1);
    const b = tf.randomNormal(c.b, 0, 1, 'float32', 2);
    const timing = await timeStep(() => tf.matMul(a, b, c.transposeA, c.transposeB).dispose(), { runs: request.runs, warmup: 1 });
    result.gflops[c.name] = gflops(matMulFlops(...c.dims), timing.medianMs);
    tf.dispose([a, b]);
  }
  if (request.step) {
    const step = referenceStep();
    step();
    const { matMuls } = profileKernels(step);
    const runs = request.backend === 'wasm' && !request.kernelOverrides ? 1 : request.runs;
    const pairs: { wasmMs: number; nativeMs: number }[] = [];
    for (let r = 0; r < runs; r++) {
      const timing = await timeStep(step, { runs: 1, warmup: 0 });
      pairs.push({ wasmMs: timing.medianMs, nativeMs: nativeStep(matMuls).ms });
    }
    const ms = median(pairs.map((p) => p.wasmMs));
    result.step = { ms, gflops: gflops(referenceStepFlops(), ms), pairs };
  }
  await shutdownBackend();
  process.stdout.write(JSON.stringify(result) + '\n');
}

// Run only as the child process: ml.bench.ts imports this file for its types and constants.
if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
