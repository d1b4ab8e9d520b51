import * as tf from '@tensorflow/tfjs-core';
import { timeStep } from '../engine';
import { Rng } from './random';
import { WordPieceTokenizer } from './tokenizer';
import { TextEncoder, TextEncoderPreset, textEncoderConfig } from './text-encoder';
import { Generator, generatorConfig } from './generator';
import { DitPreset } from './dit';
import { Selector, selectorConfig } from './selector';
import { Policy, policyConfig } from './policy';
import { Trainer } from './optim';
import { renderToyImages, toySamples } from './toy-data';

export interface ModelFigure {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
}

export interface BenchmarkModelsOptions {
  runs?: number;
  /** Tiny presets only. */
  quick?: boolean;
  log?: (line: string) => void;
}

const PRESETS: { name: string; text: TextEncoderPreset; dit: DitPreset; vit: 'tiny' | 'small'; batch: number }[] = [
  { name: 'tiny', text: 'tiny', dit: 'tiny', vit: 'tiny', batch: 8 },
  { name: 'small', text: 'small', dit: 'small', vit: 'small', batch: 8 },
];

/** Training steps/s of every model and generator samples/s, per preset, on the running backend. */
export async function benchmarkModels(options: BenchmarkModelsOptions = {}): Promise<ModelFigure[]> {
  const runs = options.runs ?? 3;
  const log = options.log ?? (() => undefined);
  const figures: ModelFigure[] = [];
  const rng = new Rng(1);
  for (const p of options.quick ? PRESETS.slice(0, 1) : PRESETS) {
    const samples = toySamples(p.batch, rng);
    const prompts = samples.map((s) => s.caption);
    const tok = WordPieceTokenizer.train(prompts, 64);
    const text = new TextEncoder(textEncoderConfig(p.text, tok.size), tok, 1);
    const record = async (name: string, vars: tf.Variable[], loss: () => tf.Scalar, after?: () => void) => {
      const trainer = new Trainer(vars);
      const t = await timeStep(() => {
        trainer.step(loss);
        after?.();
      }, { runs });
      trainer.dispose();
      figures.push({ name: `${name} train steps/s (${p.name}, batch ${p.batch})`, value: 1000 / t.medianMs, unit: 'steps/s' });
      log(`${name} ${p.name}: ${t.medianMs.toFixed(0)} ms/step`);
    };
    await record('text encoder MLM', text.trainableVariables(), () => text.mlmLoss(prompts, rng));

    const gen = new Generator(generatorConfig(p.dit, text.config.dim), text, 2);
    const genImages = renderToyImages(samples, gen.config.dit.imageSize, rng);
    await record('generator', gen.trainableVariables(), () => gen.loss(genImages, prompts, rng), () => gen.updateEma());
    const sampling = await timeStep(() => gen.sample({ prompts, seed: 1, steps: 20, guidance: 3 }).images.dispose(), { runs: 1, warmup: 0 });
    figures.push({ name: `generator samples/s (${p.name}, ${gen.config.dit.imageSize}px, 20 DDIM steps, CFG)`, value: (1000 * p.batch) / sampling.medianMs, unit: 'images/s' });
    genImages.dispose();
    gen.dispose();

    const sel = new Selector(selectorConfig(p.vit, { members: 1 }), 3);
    const selImages = renderToyImages(samples, sel.config.vit.imageSize, rng);
    const targets = samples.map(() => rng.next());
    const selTime = await timeStep(() => sel.trainStep(selImages, targets), { runs });
    figures.push({ name: `selector train steps/s per member (${p.name}, batch ${p.batch})`, value: 1000 / selTime.medianMs, unit: 'steps/s' });
    sel.dispose();

    const policy = new Policy(policyConfig(p.vit), text, 4);
    await record('policy', policy.trainableVariables(false), () => policy.loss({ images: selImages, prompts, rewards: targets }).loss);
    selImages.dispose();
    policy.dispose();
    text.dispose();
  }
  return figures;
}
