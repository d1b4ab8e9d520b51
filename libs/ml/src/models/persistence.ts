import * as tf from '@tensorflow/tfjs-core';
import { CheckpointDescription, CheckpointManifest, loadCheckpoint, saveCheckpoint } from '../checkpoint';
import { ParamStore } from './params';
import { WordPieceTokenizer } from './tokenizer';
import { TextEncoder, TextEncoderConfig } from './text-encoder';
import { Generator, GeneratorConfig } from './generator';
import { Selector, SelectorConfig } from './selector';
import { Policy, PolicyConfig } from './policy';

/** What the caller states about a save; kind and architecture come from the model. */
export type SaveMeta = Omit<CheckpointDescription, 'modelKind' | 'architecture'>;

function invalid(message: string): Error {
  return Object.assign(new Error(message), { code: 'INVALID_INPUT' });
}

/** Several stores in one weight map: "<part>:<name>". */
function combine(parts: Record<string, ParamStore>): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const [part, store] of Object.entries(parts)) for (const [name, t] of Object.entries(store.weightMap())) out[`${part}:${name}`] = t;
  return out;
}

function split(weights: tf.NamedTensorMap, parts: Record<string, ParamStore>, dir: string): void {
  for (const [part, store] of Object.entries(parts)) {
    const prefix = `${part}:`;
    const own = Object.fromEntries(Object.entries(weights).filter(([n]) => n.startsWith(prefix)).map(([n, t]) => [n.slice(prefix.length), t]));
    try {
      store.load(own);
    } catch (err) {
      throw Object.assign(new Error(`checkpoint ${dir}: part "${part}": ${(err as Error).message}`), { code: 'INVALID_INPUT' });
    }
  }
}

function expectKind(manifest: CheckpointManifest, kind: string, dir: string): void {
  if (manifest.modelKind !== kind) throw invalid(`checkpoint ${dir} holds a ${manifest.modelKind}, not a ${kind}`);
}

interface TextArchitecture {
  text: TextEncoderConfig;
  vocab: string[];
}

function textArchitecture(text: TextEncoder): TextArchitecture {
  return { text: text.config, vocab: [...text.tokenizer.vocab] };
}

function rebuildText(a: TextArchitecture): TextEncoder {
  return new TextEncoder(a.text, new WordPieceTokenizer(a.vocab));
}

/** Loads a checkpoint's weights into the given parts, then frees the loaded tensors. */
function loadInto(dir: string, kind: string, build: (manifest: CheckpointManifest) => Record<string, ParamStore>): CheckpointManifest {
  const { manifest, weights } = loadCheckpoint(dir);
  try {
    expectKind(manifest, kind, dir);
    split(weights, build(manifest), dir);
    return manifest;
  } finally {
    tf.dispose(Object.values(weights));
  }
}

export function saveTextEncoder(dir: string, text: TextEncoder, meta: SaveMeta): Promise<CheckpointManifest> {
  return saveCheckpoint(dir, combine({ text: text.store }), { ...meta, modelKind: 'text-encoder', architecture: { ...textArchitecture(text) } });
}

export function loadTextEncoder(dir: string): { text: TextEncoder; manifest: CheckpointManifest } {
  let text: TextEncoder | undefined;
  const manifest = loadInto(dir, 'text-encoder', (m) => {
    text = rebuildText(m.architecture as unknown as TextArchitecture);
    return { text: text.store };
  });
  return { text: text!, manifest };
}

/** Saves the DiT, its EMA weights and the text encoder (with its vocabulary). */
export function saveGenerator(dir: string, gen: Generator, meta: SaveMeta): Promise<CheckpointManifest> {
  return saveCheckpoint(dir, combine({ dit: gen.store, ema: gen.ema, text: gen.text.store }), { ...meta, modelKind: 'generator', architecture: { generator: gen.config, ...textArchitecture(gen.text) } });
}

export function loadGenerator(dir: string): { generator: Generator; manifest: CheckpointManifest } {
  let gen: Generator | undefined;
  const manifest = loadInto(dir, 'generator', (m) => {
    const a = m.architecture as unknown as TextArchitecture & { generator: GeneratorConfig };
    gen = new Generator(a.generator, rebuildText(a), m.seed);
    return { dit: gen.store, ema: gen.ema, text: gen.text.store };
  });
  return { generator: gen!, manifest };
}

export function saveSelector(dir: string, selector: Selector, meta: SaveMeta): Promise<CheckpointManifest> {
  const parts = Object.fromEntries(selector.members.map((s, m) => [`member${m}`, s]));
  return saveCheckpoint(dir, combine(parts), { ...meta, modelKind: 'selector', architecture: { selector: selector.config } });
}

export function loadSelector(dir: string): { selector: Selector; manifest: CheckpointManifest } {
  let selector: Selector | undefined;
  const manifest = loadInto(dir, 'selector', (m) => {
    selector = new Selector((m.architecture as unknown as { selector: SelectorConfig }).selector, m.seed);
    return Object.fromEntries(selector.members.map((s, i) => [`member${i}`, s]));
  });
  return { selector: selector!, manifest };
}

export function savePolicy(dir: string, policy: Policy, meta: SaveMeta): Promise<CheckpointManifest> {
  return saveCheckpoint(dir, combine({ policy: policy.store, text: policy.text.store }), { ...meta, modelKind: 'policy', architecture: { policy: policy.config, ...textArchitecture(policy.text) } });
}

export function loadPolicy(dir: string): { policy: Policy; manifest: CheckpointManifest } {
  let policy: Policy | undefined;
  const manifest = loadInto(dir, 'policy', (m) => {
    const a = m.architecture as unknown as TextArchitecture & { policy: PolicyConfig };
    policy = new Policy(a.policy, rebuildText(a), m.seed, true);
    return { policy: policy.store, text: policy.text.store };
  });
  return { policy: policy!, manifest };
}
