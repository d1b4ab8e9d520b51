import * as tf from '@tensorflow/tfjs-core';
import { ParamStore } from './params';
import { CosineSchedule } from './schedule';
import { DitConfig, DitContext, DitPreset, DIT_PRESETS, createDitParams, ditForward, validateDitConfig } from './dit';
import { TextEncoder } from './text-encoder';
import { Rng, standardNormals } from './random';
import { samplingPlan } from './sampling-plan';
import { TextFeatureCache } from './text-feature-cache';
import { externalSampler, releaseExternalSampler } from '../onnx/sampler-choice';

export interface GeneratorConfig {
  dit: DitConfig;
  timesteps: number;
  /** Share of training prompts replaced by the empty prompt (classifier-free guidance). */
  condDropProb: number;
  emaDecay: number;
  /** Train the text encoder together with the DiT (otherwise it stays frozen). */
  trainText: boolean;
  /**
   * What the network outputs. 'epsilon': ε directly. 'v': v = √ᾱ·ε − √(1−ᾱ)·x₀ (Salimans & Ho 2022),
   * from which ε̂ = √ᾱ·v̂ + √(1−ᾱ)·x_t. Near pure noise a small ε error becomes a huge x₀ error
   * (÷√ᾱ), which small DiTs cannot avoid; with v the network predicts x₀ there and ε near clean
   * images. Checkpoints without the field predate it and predict ε.
   */
  prediction?: 'epsilon' | 'v';
}

export type GeneratorPrediction = NonNullable<GeneratorConfig['prediction']>;

/** v = √ᾱ·ε − √(1−ᾱ)·x₀, the target of a v-model (sa = √ᾱ, sn = √(1−ᾱ), broadcast per sample). */
export function velocityTarget(x0: tf.Tensor4D, noise: tf.Tensor4D, sa: tf.Tensor, sn: tf.Tensor): tf.Tensor4D {
  return tf.sub(tf.mul(noise, sa), tf.mul(x0, sn)) as tf.Tensor4D;
}

/** ε̂ = √ᾱ·v̂ + √(1−ᾱ)·x_t: the noise a v-model's output implies (exact when v̂ = v). */
export function noiseFromVelocity(v: tf.Tensor4D, xt: tf.Tensor4D, sa: tf.Tensor, sn: tf.Tensor): tf.Tensor4D {
  return tf.add(tf.mul(v, sa), tf.mul(xt, sn)) as tf.Tensor4D;
}

export function generatorConfig(preset: DitPreset, contextDim: number, overrides: Partial<Omit<GeneratorConfig, 'dit'>> & { dit?: Partial<DitConfig> } = {}): GeneratorConfig {
  const { dit, ...rest } = overrides;
  return { dit: { ...DIT_PRESETS[preset], contextDim, ...dit }, timesteps: 1000, condDropProb: 0.1, emaDecay: 0.999, trainText: false, prediction: 'v', ...rest };
}

export interface SampleOptions {
  prompts: readonly string[];
  seed: number;
  /** DDIM steps (default 50). */
  steps?: number;
  /** Classifier-free guidance weight w: ε = ε_u + w(ε_c − ε_u); 1 = conditional only. */
  guidance?: number;
  /** 0 = deterministic DDIM, 1 = DDPM-like variance (what DDPO needs). */
  eta?: number;
  /** Sample with the EMA weights (default true), else with the live weights. */
  useEma?: boolean;
  /** Sample with these weights instead (e.g. a frozen reference copy); overrides useEma. */
  weights?: ParamStore;
  /** Keep every (x_t, x_{t−1}) pair and its log-probability, for DDPO. */
  recordTrajectory?: boolean;
}

export interface TrajectoryStep {
  t: number;
  tPrev: number;
  sigma: number;
  /** (B, H, W, C) */
  x: tf.Tensor4D;
  /** (B, H, W, C) */
  xPrev: tf.Tensor4D;
  /** Per-sample log-probability of xPrev under the sampling policy (mean over pixels). */
  logProb: Float32Array;
}

export interface SampleResult {
  /** (B, H, W, C) in [−1, 1]. */
  images: tf.Tensor4D;
  trajectory: TrajectoryStep[];
}

function invalid(message: string): Error {
  return Object.assign(new Error(message), { code: 'INVALID_INPUT' });
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Text-conditioned DiT diffusion model: ε-prediction on a cosine schedule, classifier-free
 * guidance, EMA weights, DDIM sampling. Images are (B, H, W, C) in [−1, 1].
 */
export class Generator {
  readonly store: ParamStore;
  readonly ema: ParamStore;
  readonly schedule: CosineSchedule;
  /** Features of the frozen text encoder per prompt (used while trainText is off). */
  readonly textFeatures: TextFeatureCache;

  constructor(readonly config: GeneratorConfig, readonly text: TextEncoder, seed = 0) {
    validateDitConfig(config.dit);
    if (config.dit.contextDim !== text.config.dim) throw invalid(`Generator: contextDim ${config.dit.contextDim} differs from the text encoder's dim ${text.config.dim}`);
    if (!(config.condDropProb >= 0 && config.condDropProb < 1)) throw invalid(`Generator: condDropProb must be in [0, 1), got ${config.condDropProb}`);
    if (!(config.emaDecay >= 0 && config.emaDecay < 1)) throw invalid(`Generator: emaDecay must be in [0, 1), got ${config.emaDecay}`);
    if (config.prediction !== undefined && config.prediction !== 'epsilon' && config.prediction !== 'v') throw invalid(`Generator: prediction must be 'epsilon' or 'v', got ${String(config.prediction)}`);
    this.store = new ParamStore(seed);
    createDitParams(this.store, config.dit);
    this.ema = this.store.clone(false);
    this.schedule = new CosineSchedule(config.timesteps);
    this.textFeatures = new TextFeatureCache(text);
  }

  /** What an optimizer should update: the DiT, plus the text encoder when trainText. */
  trainableVariables(): tf.Variable[] {
    return [...this.store.trainable(), ...(this.config.trainText ? this.text.trainableVariables() : [])];
  }

  private context(prompts: readonly string[]): DitContext {
    // A frozen text encoder's features come from the cache; a trained one is run (gradients flow).
    const f = this.config.trainText ? this.text.encodeTexts(prompts) : this.textFeatures.features(prompts);
    return { tokens: f.tokens, mask: f.mask, pooled: f.pooled };
  }

  get prediction(): GeneratorPrediction {
    return this.config.prediction ?? 'epsilon';
  }

  /** The network's raw output (ε or v, see GeneratorConfig.prediction) at integer timesteps (call inside tf.tidy). */
  private network(store: ParamStore, x: tf.Tensor4D, timesteps: readonly number[], ctx: DitContext): tf.Tensor4D {
    return ditForward(store, this.config.dit, x, tf.tensor1d(timesteps.map((t) => t + 1)), ctx); // (B, H, W, C)
  }

  /** Per-sample √ᾱ and √(1 − ᾱ) as (B, 1, 1, 1) tensors. */
  private signalNoise(timesteps: readonly number[]): { sa: tf.Tensor4D; sn: tf.Tensor4D } {
    const ab = timesteps.map((t) => this.schedule.at(t));
    const b = timesteps.length;
    return { sa: tf.tensor4d(ab.map(Math.sqrt), [b, 1, 1, 1]), sn: tf.tensor4d(ab.map((a) => Math.sqrt(1 - a)), [b, 1, 1, 1]) };
  }

  /** ε̂ for noisy images at integer timesteps (call inside tf.tidy). */
  predictNoise(store: ParamStore, x: tf.Tensor4D, timesteps: readonly number[], ctx: DitContext): tf.Tensor4D {
    const out = this.network(store, x, timesteps, ctx); // (B, H, W, C)
    if (this.prediction === 'epsilon') return out;
    const { sa, sn } = this.signalNoise(timesteps);
    return noiseFromVelocity(out, x, sa, sn);
  }

  private checkImages(images: tf.Tensor4D, n: number): void {
    const { imageSize, channels } = this.config.dit;
    const [b, h, w, c] = images.shape;
    if (h !== imageSize || w !== imageSize || c !== channels) throw invalid(`Generator: images are ${h}×${w}×${c}, the model expects ${imageSize}×${imageSize}×${channels}`);
    if (b !== n) throw invalid(`Generator: ${b} images but ${n} prompts`);
  }

  /**
   * Denoising loss ‖ε̂ − ε‖², or ‖v̂ − v‖² for a v-model (optionally weighted per sample), with condDropProb of prompts emptied.
   * Randomness (timesteps, noise, dropped prompts) comes from `rng`.
   */
  loss(images: tf.Tensor4D, prompts: readonly string[], rng: Rng, weights?: readonly number[]): tf.Scalar {
    const b = prompts.length;
    this.checkImages(images, b);
    const dropped = prompts.map((p) => (rng.next() < this.config.condDropProb ? '' : p));
    const ts = Array.from({ length: b }, () => rng.int(this.config.timesteps));
    const noise = tf.tensor4d(standardNormals(images.size, rng.seed()), images.shape); // (B, H, W, C)
    const { sa, sn } = this.signalNoise(ts); // (B, 1, 1, 1) each
    const xt = tf.add(tf.mul(images, sa), tf.mul(noise, sn)) as tf.Tensor4D; // (B, H, W, C)
    const out = this.network(this.store, xt, ts, this.context(dropped)); // (B, H, W, C)
    const target = this.prediction === 'epsilon' ? noise : velocityTarget(images, noise, sa, sn);
    const perSample = tf.mean(tf.squaredDifference(out, target), [1, 2, 3]); // (B)
    if (!weights) return tf.mean(perSample) as tf.Scalar;
    if (weights.length !== b) throw invalid(`Generator.loss: ${weights.length} weights for ${b} samples`);
    const w = tf.tensor1d(weights as number[]); // (B)
    return tf.div(tf.sum(tf.mul(perSample, w)), Math.max(1e-8, weights.reduce((s, x) => s + x, 0))) as tf.Scalar;
  }

  /** After an optimizer step: ema ← decay·ema + (1 − decay)·weights. */
  updateEma(): void {
    this.ema.emaUpdate(this.store, this.config.emaDecay);
  }

  /**
   * Mean and σ of one DDIM step x_t -> x_{tPrev}, with guidance (call inside tf.tidy).
   * ctx holds the conditional prompts followed by as many empty prompts when guidance ≠ 1.
   */
  ddimStepMean(store: ParamStore, x: tf.Tensor4D, t: number, tPrev: number, ctx: DitContext, guidance: number, eta: number): { mean: tf.Tensor4D; sigma: number } {
    const b = x.shape[0];
    let eps: tf.Tensor4D;
    if (guidance === 1) eps = this.predictNoise(store, x, new Array(b).fill(t), ctx); // (B, H, W, C)
    else {
      const both = this.predictNoise(store, tf.concat([x, x], 0), new Array(2 * b).fill(t), ctx); // (2B, H, W, C)
      const [cond, uncond] = tf.split(both, 2, 0) as tf.Tensor4D[]; // 2 × (B, H, W, C)
      eps = tf.add(uncond, tf.mul(tf.sub(cond, uncond), guidance)); // (B, H, W, C)
    }
    const at = this.schedule.at(t);
    const ap = this.schedule.at(tPrev);
    const x0 = tf.clipByValue(tf.div(tf.sub(x, tf.mul(eps, Math.sqrt(1 - at))), Math.sqrt(at)), -1, 1); // (B, H, W, C)
    const epsClipped = tf.div(tf.sub(x, tf.mul(x0, Math.sqrt(at))), Math.sqrt(1 - at)); // (B, H, W, C)
    const sigma = this.schedule.ddimSigma(t, tPrev, eta);
    const dirCoef = Math.sqrt(Math.max(0, 1 - ap - sigma * sigma));
    return { mean: tf.add(tf.mul(x0, Math.sqrt(ap)), tf.mul(epsClipped, dirCoef)) as tf.Tensor4D, sigma };
  }

  /** Text context for sampling: prompts, then empty prompts when guided (call inside tf.tidy). */
  samplingContext(prompts: readonly string[], guidance: number): DitContext {
    return this.context(guidance === 1 ? prompts : [...prompts, ...prompts.map(() => '')]);
  }

  /** Per-sample Gaussian log-density of xPrev, mean over pixels: (B, H, W, C) -> (B) */
  static logProb(xPrev: tf.Tensor4D, mean: tf.Tensor4D, sigma: number): tf.Tensor1D {
    const z = tf.div(tf.squaredDifference(xPrev, mean), 2 * sigma * sigma); // (B, H, W, C)
    return tf.sub(tf.neg(tf.mean(z, [1, 2, 3])), Math.log(sigma) + HALF_LOG_2PI) as tf.Tensor1D; // (B)
  }

  /** DDIM sampling; the same seed and options give the same images. */
  sample(options: SampleOptions): SampleResult {
    // FORGE_SAMPLER: the same loop with the DiT on onnxruntime-node (the default when installed; ../onnx).
    const onnx = externalSampler(this);
    if (onnx) return onnx.sample(options);
    const plan = samplingPlan(this, options, 'Generator.sample');
    const ctx = tf.tidy(() => {
      const k = this.samplingContext(options.prompts, plan.guidance);
      return { tokens: tf.keep(k.tokens), mask: tf.keep(k.mask), pooled: tf.keep(k.pooled) };
    });
    let x = tf.randomNormal(plan.shape, 0, 1, 'float32', plan.startSeed) as tf.Tensor4D; // (B, H, W, C)
    const trajectory: TrajectoryStep[] = [];
    for (const { t, tPrev, sigma, noiseSeed } of plan.updates) {
      const [next, logProb] = tf.tidy(() => {
        const { mean } = this.ddimStepMean(plan.store, x, t, tPrev, ctx, plan.guidance, plan.eta);
        if (sigma === 0) return [mean, undefined];
        const xPrev = tf.add(mean, tf.mul(tf.randomNormal(mean.shape, 0, 1, 'float32', noiseSeed), sigma)) as tf.Tensor4D; // (B, H, W, C)
        return [xPrev, options.recordTrajectory ? Generator.logProb(xPrev, mean, sigma) : undefined];
      }) as [tf.Tensor4D, tf.Tensor1D | undefined];
      if (options.recordTrajectory && logProb) {
        trajectory.push({ t, tPrev, sigma, x, xPrev: tf.clone(next), logProb: logProb.dataSync() as Float32Array });
        logProb.dispose();
      } else x.dispose();
      x = next;
    }
    tf.dispose([ctx.tokens, ctx.mask, ctx.pooled]);
    const images = tf.tidy(() => tf.clipByValue(x, -1, 1)) as tf.Tensor4D;
    x.dispose();
    return { images, trajectory };
  }

  dispose(): void {
    releaseExternalSampler(this);
    this.textFeatures.clear();
    this.store.dispose();
    this.ema.dispose();
  }
}

export function disposeTrajectory(trajectory: TrajectoryStep[]): void {
  for (const step of trajectory) tf.dispose([step.x, step.xPrev]);
}
