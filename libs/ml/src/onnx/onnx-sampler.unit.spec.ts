import * as tf from '@tensorflow/tfjs-core';
import { setupTestBackend } from '../models/test-backend';
import { createDitParams, DitConfig, ditForward, DIT_PRESETS } from '../models/dit';
import { Generator, generatorConfig, SampleResult } from '../models/generator';
import { ParamStore } from '../models/params';
import { Rng } from '../models/random';
import { TextEncoder, textEncoderConfig } from '../models/text-encoder';
import { WordPieceTokenizer } from '../models/tokenizer';
import { DitOnnxFeeds, DitOnnxSession } from './dit-session';
import { OnnxSampler } from './onnx-sampler';
import { ortAvailable } from './ort';
import { externalSampler, samplerChoice } from './sampler-choice';

const available = ortAvailable();
if (!available) console.log('ONNX sampler tests skipped: onnxruntime-node cannot be required (optional dependency not installed)');
const describeOrt = available ? describe : describe.skip;

beforeAll(setupTestBackend);

/** adaLN and the output layer start at zero: noise on every weight makes ε depend on all of them. */
function perturb(store: ParamStore, seed: number, std = 0.05): void {
  const rng = new Rng(seed);
  for (const name of store.names()) {
    const v = store.get(name);
    tf.tidy(() => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, std, 'float32', rng.seed()))));
  }
}

/** Runs `fn` with FORGE_SAMPLER set, restoring it after. */
function withSampler<T>(name: string, fn: () => T): T {
  const before = process.env.FORGE_SAMPLER;
  process.env.FORGE_SAMPLER = name;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.FORGE_SAMPLER;
    else process.env.FORGE_SAMPLER = before;
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describeOrt('DiT on onnxruntime-node (tiny preset)', () => {
  const c: DitConfig = { ...DIT_PRESETS.tiny, contextDim: 24 };
  const [b, l] = [3, 5];
  let store: ParamStore;
  let session: DitOnnxSession;
  let feeds: DitOnnxFeeds;
  // padding at the end of samples 0 and 2
  const mask = [1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0];

  beforeAll(() => {
    store = new ParamStore(3);
    createDitParams(store, c);
    perturb(store, 9);
    session = DitOnnxSession.create(store, c, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
    const read = (t: tf.Tensor) => tf.tidy(() => t.dataSync() as Float32Array).slice();
    feeds = {
      batch: b,
      textLength: l,
      x: read(tf.randomNormal([b, c.imageSize, c.imageSize, c.channels], 0, 1, 'float32', 1)),
      t: Float32Array.of(1, 500, 1000),
      tokens: read(tf.randomNormal([b, l, c.contextDim], 0, 1, 'float32', 2)),
      mask: Float32Array.from(mask),
      pooled: read(tf.randomNormal([b, c.contextDim], 0, 1, 'float32', 3)),
    };
  });

  afterAll(() => {
    session.release();
    store.dispose();
  });

  it('gives ditForward’s output within 1e-4 relative, padding tokens included', () => {
    const reference = tf.tidy(() => {
      const f = feeds;
      const ctx = { tokens: tf.tensor3d(f.tokens, [b, l, c.contextDim]), mask: tf.tensor2d(f.mask, [b, l]), pooled: tf.tensor2d(f.pooled, [b, c.contextDim]) };
      return ditForward(store, c, tf.tensor4d(f.x, [b, c.imageSize, c.imageSize, c.channels]), tf.tensor1d(f.t), ctx).dataSync() as Float32Array;
    });
    const out = session.run(feeds);
    const scale = Math.max(...reference.map(Math.abs));
    expect(scale).toBeGreaterThan(0.1);
    const rel = maxAbsDiff(out, reference) / scale;
    console.log(`DiT ONNX vs tfjs: max |Δε| / max |ε| = ${rel.toExponential(2)}`);
    expect(rel).toBeLessThan(1e-4);
  });

  it('ignores padding tokens and attends to real ones', () => {
    const base = session.run(feeds);
    const padded = feeds.tokens.slice();
    const real = feeds.tokens.slice();
    for (let i = 0; i < b * l; i++) for (let d = 0; d < c.contextDim; d++) (mask[i] ? real : padded)[i * c.contextDim + d] += 3;
    expect(maxAbsDiff(session.run({ ...feeds, tokens: padded }), base)).toBeLessThan(1e-5);
    expect(maxAbsDiff(session.run({ ...feeds, tokens: real }), base)).toBeGreaterThan(1e-3);
  });

  it('names the missing or malformed input', () => {
    const { mask: _mask, ...noMask } = feeds;
    expect(() => session.run(noMask as DitOnnxFeeds)).toThrow(/input 'mask' is missing/);
    expect(() => session.run({ ...feeds, x: feeds.x.subarray(1) })).toThrow(/input 'x' has 2303 values, shape \[3,16,16,3\] needs 2304/);
    expect(() => session.run({ ...feeds, batch: 0 })).toThrow(/batch must be a positive integer/);
  });
});

describeOrt('OnnxSampler', () => {
  const prompts = ['a red square on the left', 'a blue circle', 'green'];
  let text: TextEncoder;
  let gen: Generator;
  let sampler: OnnxSampler;

  beforeAll(() => {
    const tok = WordPieceTokenizer.train(prompts, 40);
    text = new TextEncoder(textEncoderConfig('tiny', tok.size, { dim: 16, layers: 1 }), tok, 1);
    gen = new Generator(generatorConfig('tiny', 16), text, 2);
    perturb(gen.ema, 4, 0.1);
    perturb(gen.store, 5, 0.1);
    sampler = new OnnxSampler(gen, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
  });

  afterAll(() => {
    sampler.release();
    gen.dispose();
    text.dispose();
  });

  function compare(options: Parameters<Generator['sample']>[0]): { onnx: SampleResult; tfjs: SampleResult; diff: number } {
    const tfjs = withSampler('tfjs', () => gen.sample(options));
    const onnx = sampler.sample(options);
    return { onnx, tfjs, diff: maxAbsDiff(onnx.images.dataSync(), tfjs.images.dataSync()) };
  }

  it('gives Generator.sample’s images for the same seed (guided, unguided, η = 1 with its trajectory)', () => {
    const guided = compare({ prompts, seed: 7, steps: 8, guidance: 3 });
    const unguided = compare({ prompts, seed: 8, steps: 5, guidance: 1, useEma: false });
    const ddpo = compare({ prompts, seed: 9, steps: 4, guidance: 2, eta: 1, useEma: false, recordTrajectory: true });
    console.log(`ONNX vs tfjs sampler, max |Δx|: guided ${guided.diff.toExponential(2)}, unguided ${unguided.diff.toExponential(2)}, η = 1 ${ddpo.diff.toExponential(2)}`);
    for (const r of [guided, unguided, ddpo]) expect(r.diff).toBeLessThan(1e-3);
    // the images are not trivially equal: they differ between seeds
    expect(maxAbsDiff(guided.onnx.images.dataSync(), unguided.onnx.images.dataSync())).toBeGreaterThan(0.1);
    expect(ddpo.onnx.trajectory).toHaveLength(ddpo.tfjs.trajectory.length);
    ddpo.onnx.trajectory.forEach((step, i) => {
      const ref = ddpo.tfjs.trajectory[i];
      expect([step.t, step.tPrev]).toEqual([ref.t, ref.tPrev]);
      expect(maxAbsDiff(step.logProb, ref.logProb)).toBeLessThan(1e-3);
      expect(maxAbsDiff(step.xPrev.dataSync(), ref.xPrev.dataSync())).toBeLessThan(1e-3);
    });
    for (const r of [guided, unguided, ddpo]) for (const s of [r.onnx, r.tfjs]) {
      s.images.dispose();
      for (const step of s.trajectory) tf.dispose([step.x, step.xPrev]);
    }
  });

  it('follows weight changes and leaks no tensors', () => {
    const options = { prompts, seed: 3, steps: 4, guidance: 2 };
    sampler.sample(options).images.dispose(); // session for the current EMA weights
    perturb(gen.ema, 6, 0.1);
    const before = tf.memory().numTensors;
    const r = compare(options);
    expect(r.diff).toBeLessThan(1e-3);
    tf.dispose([r.onnx.images, r.tfjs.images]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is what Generator.sample runs by default, and FORGE_SAMPLER chooses', () => {
    expect(samplerChoice(undefined)).toBe('onnx');
    expect(samplerChoice('tfjs')).toBe('tfjs');
    expect(() => samplerChoice('gpu')).toThrow(/FORGE_SAMPLER must be 'onnx' or 'tfjs'/);
    const options = { prompts, seed: 11, steps: 3, guidance: 2 };
    const viaHook = withSampler('onnx', () => gen.sample(options));
    const direct = sampler.sample(options);
    expect(maxAbsDiff(viaHook.images.dataSync(), direct.images.dataSync())).toBe(0);
    tf.dispose([viaHook.images, direct.images]);
    expect(() => sampler.sample({ ...options, prompts: [] })).toThrow(/no prompts/);
  });

  it('Generator.dispose frees the ORT sessions of the sampler it used', () => {
    const own = new Generator(generatorConfig('tiny', 16), text, 3);
    const used = withSampler('onnx', () => {
      own.sample({ prompts, seed: 1, steps: 2 }).images.dispose();
      return externalSampler(own);
    });
    const release = jest.spyOn(used as OnnxSampler, 'release');
    own.dispose();
    expect(release).toHaveBeenCalledTimes(1);
    expect(withSampler('onnx', () => externalSampler(own))).not.toBe(used);
  });
});
