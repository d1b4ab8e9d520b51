import * as tf from '@tensorflow/tfjs-core';
// Types only: generator.ts imports this folder for its sampling hook.
import type { Generator, SampleOptions, SampleResult, TrajectoryStep } from '../models/generator';
import type { ParamStore } from '../models/params';
import { samplingPlan } from '../models/sampling-plan';
import { DitOnnxSession } from './dit-session';
import { OrtSessionOptions, samplingSessionOptions } from './ort';

// Generator.sample with ε from onnxruntime-node: the same schedule, guidance, η, random draws
// (tf.randomNormal with the same seeds, in the same order) and DDIM arithmetic, so a seed gives
// the same images as the tfjs sampler up to float rounding. The text encoder stays in tfjs: it
// runs once per call.

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
const MAX_SESSIONS = 2;
const f32 = Math.fround;

/** A seeded standard normal draw, exactly the values tf.randomNormal gives on any backend. */
function normal(shape: number[], seed: number): Float32Array {
  const t = tf.randomNormal(shape, 0, 1, 'float32', seed);
  const values = (t.dataSync() as Float32Array).slice();
  t.dispose();
  return values;
}

/** Every weight of a store, by name order, for telling whether a cached session is still current. */
function snapshot(store: ParamStore): Float32Array[] {
  return store.names().sort().map((n) => (store.get(n).dataSync() as Float32Array).slice());
}

function sameWeights(a: Float32Array[], b: Float32Array[]): boolean {
  return a.length === b.length && a.every((x, i) => x.length === b[i].length && Buffer.compare(new Uint8Array(x.buffer), new Uint8Array(b[i].buffer)) === 0);
}

/**
 * One DDIM update from ε̂, mirroring Generator.ddimStepMean op for op in float32 (Math.fround):
 * near t = T, x₀ = (x − √(1−ᾱ)ε)/√ᾱ divides by √ᾱ ≈ 5e-5, so any other rounding would show.
 */
function ddimMean(x: Float32Array, eps: Float32Array, at: number, ap: number, sigma: number): Float32Array {
  const sa = f32(Math.sqrt(at));
  const sn = f32(Math.sqrt(1 - at));
  const sp = f32(Math.sqrt(ap));
  const dir = f32(Math.sqrt(Math.max(0, 1 - ap - sigma * sigma)));
  const mean = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const x0 = Math.min(1, Math.max(-1, f32(f32(x[i] - f32(eps[i] * sn)) / sa)));
    const epsClipped = f32(f32(x[i] - f32(x0 * sa)) / sn);
    mean[i] = f32(x0 * sp) + f32(epsClipped * dir);
  }
  return mean;
}

/** Per-sample Gaussian log-density of xPrev, mean over pixels (Generator.logProb): -> (B) */
function logProb(xPrev: Float32Array, mean: Float32Array, sigma: number, batch: number): Float32Array {
  const per = xPrev.length / batch;
  const out = new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    let z = 0;
    for (let i = b * per; i < (b + 1) * per; i++) z += (xPrev[i] - mean[i]) ** 2;
    out[b] = -z / (2 * sigma * sigma * per) - (Math.log(sigma) + HALF_LOG_2PI);
  }
  return out;
}

/** DDIM sampling of a Generator with its DiT on onnxruntime-node. */
export class OnnxSampler {
  /** Sessions by store (the EMA and the live weights, as sampling alternates between them), oldest first. */
  private readonly cached = new Map<ParamStore, { weights: Float32Array[]; session: DitOnnxSession }>();

  constructor(
    readonly generator: Generator,
    private readonly sessionOptions: OrtSessionOptions = samplingSessionOptions(),
  ) {}

  /** ORT intra-op threads. */
  get threads(): number {
    return this.sessionOptions.intraOpNumThreads ?? 1;
  }

  /** A session for the store's current weights: reused while they are unchanged (EMA updates, loads and training all change them). */
  private session(store: ParamStore): DitOnnxSession {
    const weights = snapshot(store);
    const known = this.cached.get(store);
    if (known && sameWeights(known.weights, weights)) return known.session;
    this.forget(store);
    const [oldest] = this.cached.keys();
    if (this.cached.size >= MAX_SESSIONS && oldest) this.forget(oldest);
    const session = DitOnnxSession.create(store, this.generator.config.dit, this.sessionOptions);
    this.cached.set(store, { weights, session });
    return session;
  }

  private forget(store: ParamStore): void {
    this.cached.get(store)?.session.release();
    this.cached.delete(store);
  }

  /** The network's ε̂ for a batch at one timestep index, guided when guidance ≠ 1: -> (B, H, W, C) */
  private epsilon(session: DitOnnxSession, x: Float32Array, t: number, ctx: TextContext, guidance: number): Float32Array {
    const g = this.generator;
    const guided = guidance !== 1;
    const xIn = guided ? new Float32Array(2 * x.length) : x; // (B or 2B, H, W, C): conditional rows, then unconditional
    if (guided) {
      xIn.set(x);
      xIn.set(x, x.length);
    }
    const batch = ctx.batch;
    const out = session.run({ batch, textLength: ctx.length, x: xIn, t: new Float32Array(batch).fill(t + 1), tokens: ctx.tokens, mask: ctx.mask, pooled: ctx.pooled });
    if (g.prediction === 'v') {
      // ε̂ = √ᾱ·v̂ + √(1−ᾱ)·x_t (noiseFromVelocity)
      const ab = g.schedule.at(t);
      const sa = f32(Math.sqrt(ab));
      const sn = f32(Math.sqrt(1 - ab));
      for (let i = 0; i < out.length; i++) out[i] = f32(out[i] * sa) + f32(xIn[i] * sn);
    }
    if (!guided) return out;
    const eps = new Float32Array(x.length);
    const w = f32(guidance);
    for (let i = 0; i < x.length; i++) eps[i] = out[x.length + i] + f32(f32(out[i] - out[x.length + i]) * w); // ε_u + w(ε_c − ε_u)
    return eps;
  }

  /** DDIM sampling; the same seed and options give the same images as Generator.sample. */
  sample(options: SampleOptions): SampleResult {
    const g = this.generator;
    const plan = samplingPlan(g, options, 'OnnxSampler.sample');
    const { shape } = plan;
    const session = this.session(plan.store);
    const ctx = textContext(g, options.prompts, plan.guidance);
    let x = normal(shape, plan.startSeed); // (B, H, W, C)
    const trajectory: TrajectoryStep[] = [];
    for (const { t, tPrev, sigma, noiseSeed } of plan.updates) {
      const mean = ddimMean(x, this.epsilon(session, x, t, ctx, plan.guidance), g.schedule.at(t), g.schedule.at(tPrev), sigma); // (B, H, W, C)
      if (sigma === 0) {
        x = mean;
        continue;
      }
      const noise = normal(shape, noiseSeed);
      const sig = f32(sigma);
      const next = mean.map((m, j) => m + f32(noise[j] * sig)); // (B, H, W, C)
      if (options.recordTrajectory) trajectory.push({ t, tPrev, sigma, x: tf.tensor4d(x, shape), xPrev: tf.tensor4d(next, shape), logProb: logProb(next, mean, sigma, shape[0]) });
      x = next;
    }
    const images = tf.tensor4d(x.map((v) => Math.min(1, Math.max(-1, v))), shape);
    return { images, trajectory };
  }

  /** Frees the cached ORT sessions (a later sample() builds new ones). */
  release(): void {
    for (const store of [...this.cached.keys()]) this.forget(store);
  }
}

interface TextContext {
  /** Rows fed to the DiT: B, or 2B with the empty prompts when guided. */
  batch: number;
  length: number;
  tokens: Float32Array;
  mask: Float32Array;
  pooled: Float32Array;
}

/** Generator.samplingContext read back from tfjs once per call. */
function textContext(g: Generator, prompts: readonly string[], guidance: number): TextContext {
  const k = tf.tidy(() => {
    const f = g.samplingContext(prompts, guidance);
    return { tokens: f.tokens, mask: f.mask, pooled: f.pooled };
  });
  const [batch, length] = k.mask.shape;
  const read = (t: tf.Tensor) => (t.dataSync() as Float32Array).slice();
  const ctx = { batch, length, tokens: read(k.tokens), mask: read(k.mask), pooled: read(k.pooled) };
  tf.dispose([k.tokens, k.mask, k.pooled]);
  return ctx;
}
