import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setupTestBackend } from './test-backend';
import { WordPieceTokenizer } from './tokenizer';
import { TextEncoder, textEncoderConfig } from './text-encoder';
import { Generator, generatorConfig } from './generator';
import { Selector, selectorConfig } from './selector';
import { Policy, policyConfig } from './policy';
import { loadGenerator, loadPolicy, loadSelector, loadTextEncoder, saveGenerator, savePolicy, saveSelector, saveTextEncoder, SaveMeta } from './persistence';

beforeAll(setupTestBackend);

const meta = (seed: number): SaveMeta => ({ version: 'v1', parentVersion: null, lineage: { dataUpToPosition: 42 }, backend: { name: tf.getBackend() }, seed, metrics: { loss: 0.5 }, createdAt: '2026-01-01T00:00:00.000Z' });

describe('model save/load through the checkpoint module', () => {
  let dir: string;
  let text: TextEncoder;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-models-'));
    const tok = WordPieceTokenizer.train(['a red square on the left', 'a blue square on the right'], 40);
    text = new TextEncoder(textEncoderConfig('tiny', tok.size, { dim: 16, layers: 1 }), tok, 1);
  });
  afterAll(() => {
    text.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('text encoder round trip gives identical embeddings and vocabulary', async () => {
    await saveTextEncoder(path.join(dir, 'text'), text, meta(1));
    const { text: back, manifest } = loadTextEncoder(path.join(dir, 'text'));
    expect(manifest.lineage.dataUpToPosition).toBe(42);
    expect(back.tokenizer.vocab).toEqual(text.tokenizer.vocab);
    const [a, b] = tf.tidy(() => [text.encodeTexts(['a red square']).pooled.dataSync(), back.encodeTexts(['a red square']).pooled.dataSync()]);
    expect(Array.from(b)).toEqual(Array.from(a));
    back.dispose();
  });

  it('generator round trip samples the same images for the same seed', async () => {
    const gen = new Generator(generatorConfig('tiny', 16, { dit: { imageSize: 8, patch: 2, depth: 1 } }), text, 3);
    // make the weights non-trivial (adaLN-zero starts at zero)
    tf.tidy(() => gen.store.names().forEach((n) => gen.store.get(n).assign(tf.add(gen.store.get(n), tf.randomNormal(gen.store.get(n).shape, 0, 0.05, 'float32', 9)))));
    gen.ema.emaUpdate(gen.store, 0);
    await saveGenerator(path.join(dir, 'gen'), gen, meta(3));
    const { generator: back } = loadGenerator(path.join(dir, 'gen'));
    const opts = { prompts: ['a red square on the left'], seed: 7, steps: 3, guidance: 2 };
    const a = gen.sample(opts);
    const b = back.sample(opts);
    expect(Array.from(b.images.dataSync())).toEqual(Array.from(a.images.dataSync()));
    tf.dispose([a.images, b.images]);
    expect(() => loadSelector(path.join(dir, 'gen'))).toThrow(/not a selector/);
    back.text.dispose();
    back.dispose();
    gen.dispose();
  });

  it('selector and policy round trips predict identically; a tampered file is refused', async () => {
    const sel = new Selector(selectorConfig('tiny', { members: 2 }), 5);
    const imgs = tf.randomUniform([3, 16, 16, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    sel.trainStep(imgs, [0.1, 0.5, 0.9]); // the feature density holds statistics only after training
    await saveSelector(path.join(dir, 'sel'), sel, meta(5));
    const { selector: selBack } = loadSelector(path.join(dir, 'sel'));
    const [before, after] = [sel.predict(imgs), selBack.predict(imgs)];
    expect(after.featureDistance).not.toBeNull();
    for (const key of ['score', 'uncertainty', 'featureDistance'] as const) expect(Array.from(after[key]!)).toEqual(Array.from(before[key]!));

    const policy = new Policy(policyConfig('tiny'), text, 6);
    await savePolicy(path.join(dir, 'pol'), policy, meta(6));
    const { policy: polBack } = loadPolicy(path.join(dir, 'pol'));
    const prompts = ['a red square', 'a blue square', 'a red square on the right'];
    expect(Array.from(polBack.score(imgs, prompts))).toEqual(Array.from(policy.score(imgs, prompts)));

    const weightsFile = path.join(dir, 'sel', 'weights.bin');
    const bytes = fs.readFileSync(weightsFile);
    bytes[10] ^= 0xff;
    fs.writeFileSync(weightsFile, bytes);
    expect(() => loadSelector(path.join(dir, 'sel'))).toThrow();

    imgs.dispose();
    [sel, selBack].forEach((s) => s.dispose());
    polBack.text.dispose();
    [policy, polBack].forEach((p) => p.dispose());
  });

  it('a selector saved before feature densities existed loads and predicts as before: uncertainty = ensemble spread', async () => {
    const old = new Selector({ ...selectorConfig('tiny', { members: 2 }), featureDensity: undefined }, 6);
    const imgs = tf.randomUniform([3, 16, 16, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
    old.trainStep(imgs, [0.1, 0.5, 0.9]);
    expect(old.members[0].names().some((n) => n.startsWith('density/'))).toBe(false);
    await saveSelector(path.join(dir, 'sel-old'), old, meta(6));
    const { selector: back } = loadSelector(path.join(dir, 'sel-old'));
    const [before, after] = [old.predict(imgs), back.predict(imgs)];
    expect(after.featureDistance).toBeNull();
    expect(Array.from(after.uncertainty)).toEqual(Array.from(after.spread));
    expect(Array.from(after.score)).toEqual(Array.from(before.score));
    expect(Array.from(after.uncertainty)).toEqual(Array.from(before.uncertainty));
    imgs.dispose();
    [old, back].forEach((s) => s.dispose());
  });
});
