import type { Generator, SampleOptions } from './generator';
import type { ParamStore } from './params';
import { Rng } from './random';

// What a DDIM sampling call will do, decided once from its options: the weights, the guidance,
// the image shape and every update with its noise scale and the seed of its noise draw. Both
// samplers (Generator.sample in tfjs, OnnxSampler.sample on onnxruntime-node) run the same plan,
// which is why a seed gives the same images on either.

/** One update from timestep index t to tPrev (−1: the clean image). */
export interface DdimUpdate {
  t: number;
  tPrev: number;
  sigma: number;
  /** Seed of this update's noise draw (drawn even when σ = 0, so later seeds do not shift). */
  noiseSeed: number;
}

export interface SamplingPlan {
  store: ParamStore;
  guidance: number;
  eta: number;
  /** (B, H, W, C) */
  shape: [number, number, number, number];
  /** Seed of the starting noise x_T. */
  startSeed: number;
  updates: DdimUpdate[];
}

function invalid(message: string): Error {
  return Object.assign(new Error(message), { code: 'INVALID_INPUT' });
}

/** The plan for `options`, or an INVALID_INPUT error naming `caller` and the bad option. */
export function samplingPlan(g: Pick<Generator, 'config' | 'schedule' | 'store' | 'ema'>, options: SampleOptions, caller: string): SamplingPlan {
  const guidance = options.guidance ?? 3;
  const eta = options.eta ?? 0;
  const b = options.prompts.length;
  if (b === 0) throw invalid(`${caller}: no prompts`);
  if (!(eta >= 0 && eta <= 1)) throw invalid(`${caller}: eta must be in [0, 1], got ${eta}`);
  const ts = g.schedule.samplingTimesteps(options.steps ?? 50);
  const rng = new Rng(options.seed);
  const startSeed = rng.seed();
  const updates = ts.map((t, i) => {
    const tPrev = i + 1 < ts.length ? ts[i + 1] : -1;
    return { t, tPrev, sigma: g.schedule.ddimSigma(t, tPrev, eta), noiseSeed: rng.seed() };
  });
  const { imageSize: s, channels: c } = g.config.dit;
  const store = options.weights ?? (options.useEma === false ? g.store : g.ema);
  return { store, guidance, eta, shape: [b, s, s, c], startSeed, updates };
}
