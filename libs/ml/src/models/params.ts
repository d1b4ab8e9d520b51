import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients (the @tensorflow/tfjs bundle normally does).
import './register-gradients';
import { Rng } from './random';
import { fusedEmaUpdate, hasFusedOptimizer } from '../engine';

/** Named weights as plain tensors: what checkpoints save and load. */
export type WeightMap = Record<string, tf.Tensor>;

let storeCounter = 0;

function invalid(message: string): Error {
  return Object.assign(new Error(message), { code: 'INVALID_INPUT' });
}

/**
 * Owns a model's variables by readable name ("block0/attn/q/w"). tfjs needs globally unique
 * variable names, so each store prefixes its own id; the weight map uses the readable names.
 */
export class ParamStore {
  private readonly vars = new Map<string, tf.Variable>();
  private readonly rng: Rng;
  readonly id: number;

  constructor(readonly seed = 0) {
    this.id = ++storeCounter;
    this.rng = new Rng(seed);
  }

  private add(name: string, init: tf.Tensor, trainable: boolean): tf.Variable {
    if (this.vars.has(name)) throw invalid(`ParamStore: parameter "${name}" already exists`);
    const v = tf.variable(init, trainable, `p${this.id}/${name}`);
    init.dispose();
    this.vars.set(name, v);
    return v;
  }

  /** Truncated-normal init (seeded). */
  normal(name: string, shape: number[], std: number, trainable = true): tf.Variable {
    return this.add(name, tf.truncatedNormal(shape, 0, std, 'float32', this.rng.seed()), trainable);
  }

  zeros(name: string, shape: number[], trainable = true): tf.Variable {
    return this.add(name, tf.zeros(shape), trainable);
  }

  ones(name: string, shape: number[], trainable = true): tf.Variable {
    return this.add(name, tf.ones(shape), trainable);
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw Object.assign(new Error(`ParamStore: no parameter "${name}"`), { code: 'NOT_FOUND' });
    return v;
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  /** Trainable variables whose name starts with `prefix` (all when omitted). */
  trainable(prefix = ''): tf.Variable[] {
    return [...this.vars.entries()].filter(([n, v]) => v.trainable && n.startsWith(prefix)).map(([, v]) => v);
  }

  /** Total number of scalar parameters. */
  count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  /** The variables themselves under their readable names (not copies: do not dispose). */
  weightMap(): WeightMap {
    return Object.fromEntries(this.vars.entries());
  }

  /** Assigns every weight from a map; names and shapes must match exactly. */
  load(weights: WeightMap): void {
    const missing = this.names().filter((n) => !(n in weights));
    const extra = Object.keys(weights).filter((n) => !this.vars.has(n));
    if (missing.length || extra.length) {
      throw invalid(`ParamStore.load: weights do not match the model (missing: ${missing.slice(0, 5).join(', ') || 'none'}; unexpected: ${extra.slice(0, 5).join(', ') || 'none'})`);
    }
    for (const [name, v] of this.vars) {
      const w = weights[name];
      if (!tf.util.arraysEqual(w.shape, v.shape)) throw invalid(`ParamStore.load: "${name}" has shape [${w.shape}], model expects [${v.shape}]`);
      v.assign(w);
    }
  }

  /** A frozen or trainable copy with the same names (EMA weights, a DDPO reference model). */
  clone(trainable = false): ParamStore {
    const copy = new ParamStore(this.seed);
    for (const [name, v] of this.vars) copy.add(name, v.clone(), trainable && v.trainable);
    return copy;
  }

  /** this ← decay·this + (1−decay)·source, for EMA weights. */
  emaUpdate(source: ParamStore, decay: number): void {
    tf.tidy(() => {
      const pairs = [...this.vars].map(([name, v]) => [v, source.get(name)] as const);
      if (hasFusedOptimizer()) {
        // One kernel call for every variable instead of three ops each.
        const updated = fusedEmaUpdate(pairs.map(([v]) => v), pairs.map(([, s]) => s), decay);
        pairs.forEach(([v], i) => v.assign(updated[i]));
      } else for (const [v, s] of pairs) v.assign(tf.add(tf.mul(v, decay), tf.mul(s, 1 - decay)));
    });
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
