import * as tf from '@tensorflow/tfjs-core';
import {
  Generator,
  generatorConfig,
  initBackend,
  profileKernels,
  Rng,
  Selector,
  selectorConfig,
  shutdownBackend,
  TextEncoder,
  textEncoderConfig,
  Trainer,
  WordPieceTokenizer,
  type MatMulCall,
  type NativeGemmChoice,
} from '@forge/ml';
import { LOOP_PRESETS, toTensor } from '@forge/loop';
import { phantomSeed, renderPhantom } from '@forge/phantom';
import { median } from './harness';
import { nativeStep } from './ml-native-step';

// Training steps of the loop's demo models on one backend configuration, each run paired with
// the native time of the same step's matrix products, measured right after it (ml.bench.ts runs
// this file as a child: argv[2] = JSON StepProbeRequest; prints one JSON StepProbeResult line).
//
// The native equivalent is described in ml-native-step.ts.

export type StepModel = 'dit-demo' | 'vit-demo';

export interface StepProbeRequest {
  model: StepModel;
  /** wasm threads (the gate keeps small ops on one thread). */
  threads: number;
  /** Where products run: our kernels, or a native provider (the probe fails when it is missing). */
  gemm: NativeGemmChoice;
  runs: number;
  /** Steps timed per run (at least; each run also lasts at least MIN_RUN_MS), median. */
  steps: number;
}

export interface KernelShare {
  name: string;
  calls: number;
  ms: number;
  /** GFLOP/s for products, GB/s (inputs + outputs) for the rest. */
  rate: number;
  rateUnit: 'GFLOP/s' | 'GB/s';
}

export interface StepProbeResult {
  backend: string;
  threads: number;
  label: string;
  /** Per run: median wasm step time and the native equivalent measured right after it. */
  runs: { wasmMs: number; nativeMs: number; native1Ms: number; native2Ms: number }[];
  profile: { stepMs: number; kernelMs: number; kernelCalls: number; matMulMs: number; matMulFlops: number; kernels: KernelShare[]; matMuls: (MatMulCall & { gflops: number })[] };
}

const WARM_UP_STEPS = 20;
const REWARM_STEPS = 3;
const MIN_RUN_MS = 400;

/** The demo phantoms: images (B, 32, 32, 3) in [−1, 1] and their captions. */
function phantoms(count: number, size: number, seed: number): { images: tf.Tensor4D; captions: string[] } {
  const rendered = Array.from({ length: count }, (_, i) => renderPhantom({ seed: phantomSeed(seed, i), size }));
  return { images: toTensor(rendered.map((p) => ({ rgb: p.rgb, width: p.width, height: p.height }))), captions: rendered.map((p) => p.caption) };
}

/** One training step of the model as the loop's demo runs it (see libs/loop/src/training.ts). */
function demoStep(model: StepModel): { label: string; step: () => void } {
  const preset = LOOP_PRESETS.demo;
  const rng = new Rng(7);
  if (model === 'dit-demo') {
    const g = preset.generator;
    const data = phantoms(64, preset.size, preset.world.seed);
    const c = preset.text;
    const tokenizer = WordPieceTokenizer.train(data.captions, c.vocabSize);
    const text = new TextEncoder(textEncoderConfig('tiny', tokenizer.size, { dim: c.dim, heads: c.heads, layers: c.layers, maxLength: c.maxLength }), tokenizer, 1);
    const generator = new Generator(generatorConfig('tiny', text.config.dim, { dit: g.dit, emaDecay: g.emaDecay }), text, 2);
    const trainer = new Trainer(generator.trainableVariables(), { learningRate: g.learningRate });
    const d = g.dit;
    return {
      label: `DiT ${d.imageSize}px patch ${d.patch} D${d.dim}×${d.depth} ${d.heads} heads, batch ${g.batch}`,
      step: () => {
        const idx = Array.from({ length: g.batch }, () => rng.int(data.captions.length));
        trainer.step(() => generator.loss(tf.gather(data.images, idx) as tf.Tensor4D, idx.map((i) => data.captions[i]), rng));
        generator.updateEma();
      },
    };
  }
  const v = preset.vit;
  const batch = preset.selector.batch;
  const data = phantoms(64, preset.size, preset.world.seed);
  const targets = Array.from({ length: 64 }, () => rng.next());
  const selector = new Selector(selectorConfig('tiny', { vit: v, members: 1 }), 3);
  return {
    label: `ViT selector member ${v.imageSize}px patch ${v.patch} D${v.dim}×${v.depth} ${v.heads} heads, batch ${batch}`,
    step: () => {
      const idx = Array.from({ length: batch }, () => rng.int(64));
      const images = tf.gather(data.images, idx) as tf.Tensor4D;
      selector.trainStep(images, idx.map((i) => targets[i]));
      images.dispose();
    },
  };
}

function matMulGflops(c: MatMulCall): number {
  const k = c.transposeA ? c.a[c.a.length - 2] : c.a[c.a.length - 1];
  const m = c.transposeA ? c.a[c.a.length - 1] : c.a[c.a.length - 2];
  const n = c.transposeB ? c.b[c.b.length - 2] : c.b[c.b.length - 1];
  const batch = Math.max(c.a.slice(0, -2).reduce((x, y) => x * y, 1), c.b.slice(0, -2).reduce((x, y) => x * y, 1));
  return (2 * batch * m * n * k * c.calls) / (c.ms * 1e6);
}

function shares(profile: ReturnType<typeof profileKernels>): KernelShare[] {
  return profile.kernels.map((k) => ({
    name: k.name,
    calls: k.calls,
    ms: k.ms,
    rate: k.flops > 0 ? k.flops / (k.ms * 1e6) : k.bytes / (k.ms * 1e6),
    rateUnit: k.flops > 0 ? ('GFLOP/s' as const) : ('GB/s' as const),
  }));
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2]) as StepProbeRequest;
  const info = await initBackend({ prefer: 'wasm', threads: request.threads, gemm: request.gemm, log: () => undefined });
  const { label, step } = demoStep(request.model);
  // The loop trains hundreds of steps: the rate that matters is the steady one (JIT warm, every
  // demo caption's text features cached), so the first steps are not timed.
  for (let i = 0; i < WARM_UP_STEPS; i++) step();
  // Profile a few steps: the kernel shares and the products the native equivalent runs.
  const profiled = Array.from({ length: 3 }, () => profileKernels(step));
  const middle = [...profiled].sort((x, y) => x.totalMs - y.totalMs)[1];
  const matMuls = middle.matMuls;
  const kernels = shares(middle);
  const matMulStats = middle.kernels.filter((k) => k.flops > 0);
  const result: StepProbeResult = {
    backend: info.version,
    threads: info.threads,
    label,
    runs: [],
    profile: {
      stepMs: middle.totalMs,
      kernelMs: middle.kernelMs,
      kernelCalls: middle.kernels.reduce((s, k) => s + k.calls, 0),
      matMulMs: matMulStats.reduce((s, k) => s + k.ms, 0),
      matMulFlops: matMulStats.reduce((s, k) => s + k.flops, 0),
      kernels,
      matMuls: matMuls.map((c) => ({ ...c, gflops: matMulGflops(c) })),
    },
  };
  for (let r = 0; r < request.runs; r++) {
    // The native measurement before this run (a child process on both cores) left the caches to
    // others: a few steps untimed, as the loop's steps follow each other.
    for (let s = 0; s < REWARM_STEPS; s++) step();
    const times: number[] = [];
    const start = performance.now();
    // At least `steps` steps and MIN_RUN_MS: ten 5 ms ViT steps are one scheduler hiccup long.
    while (times.length < request.steps || performance.now() - start < MIN_RUN_MS) {
      const t0 = performance.now();
      step();
      times.push(performance.now() - t0);
    }
    const native = nativeStep(matMuls);
    result.runs.push({ wasmMs: median(times), nativeMs: native.ms, native1Ms: native.ms1, native2Ms: native.ms2 });

  }
  await shutdownBackend();
  process.stdout.write(JSON.stringify(result) + '\n');
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
