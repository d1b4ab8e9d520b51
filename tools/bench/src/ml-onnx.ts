import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { Generator, generatorConfig, initBackend, OnnxSampler, ortAvailable, Rng, shutdownBackend, TextEncoder, textEncoderConfig, WordPieceTokenizer } from '@forge/ml';
import { LOOP_PRESETS } from '@forge/loop';
import { phantomSeed, renderPhantom } from '@forge/phantom';
import { BenchOptions, BenchRow, compared, median } from './harness';

// DDIM sampling of the DiT generator, tfjs on our wasm backend (the baseline) against the same
// generator's DiT on onnxruntime-node, both on FORGE_ML_THREADS (default 2) threads: samples/s
// at guidance 3, batch 16. Runs alternate between the two so a busy machine slows both alike.

const BATCH = 16;
const GUIDANCE = 3;

interface Case {
  label: string;
  generator: Generator;
}

/**
 * The loop's demo generator (LOOP_PRESETS.demo, as ml-step-probe builds it) and, unless quick, the
 * same widths at 64 px (4× the tokens) and the `small` preset with the small text encoder (tfjs
 * needs ~100 s per run of 20 steps there).
 */
function cases(captions: string[], quick: boolean): Case[] {
  const demo = LOOP_PRESETS.demo;
  const tokenizer = WordPieceTokenizer.train(captions, demo.text.vocabSize);
  const t = demo.text;
  const demoAt = (imageSize: number): Case => {
    // One text encoder per case: each case disposes its generator's.
    const text = new TextEncoder(textEncoderConfig('tiny', tokenizer.size, { dim: t.dim, heads: t.heads, layers: t.layers, maxLength: t.maxLength }), tokenizer, 1);
    const d = { ...demo.generator.dit, imageSize };
    return { label: `demo DiT ${d.imageSize}px patch ${d.patch} D${d.dim}×${d.depth}`, generator: new Generator(generatorConfig('tiny', text.config.dim, { dit: d }), text, 2) };
  };
  if (quick) return [demoAt(demo.generator.dit.imageSize)];
  const smallText = new TextEncoder(textEncoderConfig('small', tokenizer.size), tokenizer, 1);
  return [demoAt(demo.generator.dit.imageSize), demoAt(64), { label: 'small DiT 32px patch 2 D192×6', generator: new Generator(generatorConfig('small', smallText.config.dim), smallText, 2) }];
}

/** adaLN and the output layer start at zero; noise on every EMA weight makes the sampled images depend on all of them. */
function perturb(g: Generator, seed: number): void {
  const rng = new Rng(seed);
  for (const name of g.ema.names()) {
    const v = g.ema.get(name);
    tf.tidy(() => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.02, 'float32', rng.seed()))));
  }
}

/** Generator.sample's own tfjs loop, whatever FORGE_SAMPLER says (its default is ORT when installed). */
function sampleOnTfjs(generator: Generator, options: Parameters<Generator['sample']>[0]): void {
  const before = process.env.FORGE_SAMPLER;
  process.env.FORGE_SAMPLER = 'tfjs';
  try {
    generator.sample(options).images.dispose();
  } finally {
    if (before === undefined) delete process.env.FORGE_SAMPLER;
    else process.env.FORGE_SAMPLER = before;
  }
}

function seconds(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

/** Samples/s of tfjs (baseline) and ORT per generator and step count; ratio = ORT / tfjs. */
export async function onnxSamplingRows(options: BenchOptions): Promise<BenchRow[]> {
  if (!ortAvailable()) {
    options.log('ml bench: ONNX sampling skipped: onnxruntime-node cannot be loaded (optional dependency)');
    return [];
  }
  const backend = await initBackend({ prefer: 'wasm', log: options.log });
  const captions = Array.from({ length: BATCH }, (_, i) => renderPhantom({ seed: phantomSeed(LOOP_PRESETS.demo.world.seed, i), size: 32 }).caption);
  const rows: BenchRow[] = [];
  for (const { label, generator } of cases(captions, options.quick)) {
    perturb(generator, 5);
    const sampler = new OnnxSampler(generator);
    const build = seconds(() => sampler.sample({ prompts: captions, seed: 1, steps: 1, guidance: GUIDANCE }).images.dispose());
    rows.push({ name: `ONNX sampling ${label}: ORT session build + 1 step`, value: build * 1000, unit: 'ms' });
    for (const steps of options.quick ? [20] : [20, 50]) {
      const opts = { prompts: captions, seed: 1, steps, guidance: GUIDANCE };
      const tfjs: number[] = [];
      const ort: number[] = [];
      for (let r = 0; r < options.runs; r++) {
        tfjs.push(seconds(() => sampleOnTfjs(generator, opts)));
        ort.push(seconds(() => sampler.sample(opts).images.dispose()));
        options.log(`ml bench: ${label}, ${steps} steps: tfjs ${tfjs[r].toFixed(2)} s, ORT ${ort[r].toFixed(2)} s`);
      }
      const name = `ONNX sampling ${label}, ${steps} DDIM steps, CFG ${GUIDANCE}, batch ${BATCH}: ORT ${sampler.threads}t vs tfjs ${backend.name} ${backend.threads}t`;
      rows.push(compared(name, BATCH / median(ort), 'samples/s', BATCH / median(tfjs)));
    }
    sampler.release();
    generator.dispose();
    generator.text.dispose();
  }
  await shutdownBackend();
  return rows;
}
