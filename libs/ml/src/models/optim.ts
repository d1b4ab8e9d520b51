import * as tf from '@tensorflow/tfjs-core';
import { fusedAdamStep, hasFusedOptimizer } from '../engine';
import './params';

export interface OptimizerConfig {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decoupled (AdamW) weight decay on matrices; 0 for plain Adam. */
  weightDecay: number;
  /** Clip the global gradient norm to this value; 0 disables clipping. */
  clipNorm: number;
}

export const DEFAULT_OPTIMIZER: OptimizerConfig = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, clipNorm: 1 };

/** Scales all gradients together so their global L2 norm is at most maxNorm. */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): { grads: tf.NamedTensorMap; norm: tf.Scalar } {
  const names = Object.keys(grads);
  const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]))))) as tf.Scalar; // ()
  if (!(maxNorm > 0)) return { grads, norm };
  const scale = tf.div(maxNorm, tf.maximum(norm, maxNorm)); // () ≤ 1
  return { grads: Object.fromEntries(names.map((n) => [n, tf.mul(grads[n], scale)])), norm };
}

/**
 * Cosine decay from `base` at step 0 to `floor`·base at the last step: large steps while the
 * model moves far, small ones at the end so the result does not hinge on the last few batches.
 */
export function cosineLearningRate(base: number, step: number, steps: number, floor = 0.1): number {
  if (!(steps > 0) || !(step >= 0)) throw Object.assign(new Error(`cosineLearningRate: need steps > 0 and step ≥ 0, got step ${step} of ${steps}`), { code: 'INVALID_INPUT' });
  const progress = steps <= 1 ? 1 : Math.min(step / (steps - 1), 1);
  return base * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

export interface StepResult {
  loss: number;
  gradNorm: number;
}

/**
 * Adam / AdamW over an explicit variable list, with global-norm clipping.
 * Frozen parts of a model are simply left out of `vars`.
 *
 * On the wasm and cpu backends the whole update (clipping, moments, bias correction, decay) is one
 * fused kernel call (engine `fusedAdamStep`); elsewhere it runs as tfjs ops (tf.train.adam). Both
 * compute the same update and export the same state.
 */
export class Trainer {
  readonly config: OptimizerConfig;
  private readonly optimizer: tf.AdamOptimizer | undefined;
  /** Fused path: Adam's moments, created at the first step. */
  private moments: { m: tf.Tensor[]; v: tf.Tensor[] } | undefined;
  steps = 0;

  constructor(private readonly vars: tf.Variable[], config: Partial<OptimizerConfig> = {}) {
    this.config = { ...DEFAULT_OPTIMIZER, ...config };
    const c = this.config;
    if (!(c.learningRate > 0)) throw Object.assign(new Error(`Trainer: learningRate must be > 0, got ${c.learningRate}`), { code: 'INVALID_INPUT' });
    if (vars.length === 0) throw Object.assign(new Error('Trainer: no trainable variables'), { code: 'INVALID_INPUT' });
    this.optimizer = hasFusedOptimizer() ? undefined : tf.train.adam(c.learningRate, c.beta1, c.beta2, c.epsilon);
  }

  /** Changes the learning rate from the next step on (a schedule calls this before each step). */
  setLearningRate(learningRate: number): void {
    if (!(learningRate > 0)) throw Object.assign(new Error(`Trainer: learningRate must be > 0, got ${learningRate}`), { code: 'INVALID_INPUT' });
    this.config.learningRate = learningRate;
    // tf.train.adam reads its rate at every update; the field is not in its public typings.
    if (this.optimizer) (this.optimizer as unknown as { learningRate: number }).learningRate = learningRate;
  }

  /** One optimisation step on `lossFn` (run inside a tidy); returns the loss before the update. */
  step(lossFn: () => tf.Scalar): StepResult {
    const [loss, norm] = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(lossFn, this.vars);
      const gradNorm = this.optimizer ? this.applyWithOps(grads) : this.applyFused(grads);
      return [value, gradNorm];
    });
    const out = { loss: loss.dataSync()[0], gradNorm: norm.dataSync()[0] };
    loss.dispose();
    norm.dispose();
    this.steps++;
    return out;
  }

  private applyWithOps(grads: tf.NamedTensorMap): tf.Scalar {
    const clipped = clipByGlobalNorm(grads, this.config.clipNorm);
    (this.optimizer as tf.AdamOptimizer).applyGradients(Object.entries(clipped.grads).map(([name, tensor]) => ({ name, tensor })));
    if (this.config.weightDecay > 0) {
      const keep = 1 - this.config.learningRate * this.config.weightDecay;
      for (const v of this.vars) if (v.rank >= 2) v.assign(tf.mul(v, keep));
    }
    return clipped.norm;
  }

  private applyFused(grads: tf.NamedTensorMap): tf.Scalar {
    const c = this.config;
    const moments = (this.moments ??= { m: this.vars.map((v) => tf.keep(tf.zerosLike(v))), v: this.vars.map((v) => tf.keep(tf.zerosLike(v))) });
    const decayKeep = c.weightDecay > 0 ? 1 - c.learningRate * c.weightDecay : 1;
    // Variables the loss does not reach get no gradient: like tf.train.adam, leave them and their
    // moments alone (decoupled decay still applies, as on the op path).
    const active = this.vars.map((v, i) => i).filter((i) => grads[this.vars[i].name] !== undefined);
    const pick = <T>(xs: readonly T[]) => active.map((i) => xs[i]);
    const out = fusedAdamStep(pick(this.vars), active.map((i) => grads[this.vars[i].name]), pick(moments.m), pick(moments.v), {
      learningRate: c.learningRate,
      beta1: c.beta1,
      beta2: c.beta2,
      epsilon: c.epsilon,
      step: this.steps + 1,
      clipNorm: c.clipNorm,
      keep: active.map((i) => (this.vars[i].rank >= 2 ? decayKeep : 1)),
    });
    active.forEach((i, k) => {
      this.vars[i].assign(out.params[k]);
      moments.m[i].dispose();
      moments.v[i].dispose();
      moments.m[i] = tf.keep(out.firstMoments[k]);
      moments.v[i] = tf.keep(out.secondMoments[k]);
    });
    if (decayKeep !== 1) for (const v of this.vars) if (v.rank >= 2 && grads[v.name] === undefined) v.assign(tf.mul(v, decayKeep));
    return out.norm;
  }

  /**
   * Adam's step count and moments as fresh tensors ("iterations", "m/<i>", "v/<i>" in variable
   * order), so a resumed run continues exactly; the caller disposes them.
   */
  async exportState(): Promise<tf.NamedTensorMap> {
    const name = (kind: 'm' | 'v', i: number) => `${kind}/${String(i).padStart(4, '0')}`;
    if (!this.optimizer) {
      const out: tf.NamedTensorMap = { iterations: tf.scalar(this.steps, 'int32') };
      this.moments?.m.forEach((t, i) => (out[name('m', i)] = t.clone()));
      this.moments?.v.forEach((t, i) => (out[name('v', i)] = t.clone()));
      return out;
    }
    const [iterations, ...moments] = await this.optimizer.getWeights();
    const half = moments.length / 2;
    const out: tf.NamedTensorMap = { iterations: iterations.tensor };
    moments.forEach((w, i) => (out[name(i < half ? 'm' : 'v', i % half)] = w.tensor.clone()));
    return out;
  }

  /** Restores what exportState returned (into a trainer over the same variables, before its first step). */
  async importState(state: tf.NamedTensorMap): Promise<void> {
    const moments = (kind: 'm' | 'v') =>
      Object.keys(state)
        .filter((n) => n.startsWith(`${kind}/`))
        .sort()
        .map((n, i) => ({ name: `${this.vars[i]?.name ?? n}/${kind}`, tensor: state[n] }));
    const m = moments('m');
    const v = moments('v');
    if (!state.iterations || m.length !== v.length || (m.length !== 0 && m.length !== this.vars.length)) {
      throw Object.assign(new Error(`Trainer.importState: expected iterations and ${this.vars.length} first and second moments, got ${m.length} and ${v.length}`), { code: 'INVALID_INPUT' });
    }
    m.forEach((w, i) => {
      if (!tf.util.arraysEqual(w.tensor.shape, this.vars[i].shape)) throw Object.assign(new Error(`Trainer.importState: moment ${w.name} is ${JSON.stringify(w.tensor.shape)}, the variable ${JSON.stringify(this.vars[i].shape)}`), { code: 'INVALID_INPUT' });
    });
    const iterations = (await state.iterations.data())[0];
    if (this.optimizer) await this.optimizer.setWeights([{ name: 'iter', tensor: state.iterations }, ...m, ...v]);
    else {
      if (this.moments) tf.dispose([...this.moments.m, ...this.moments.v]);
      this.moments = m.length === 0 ? undefined : { m: m.map((w) => tf.keep(w.tensor.clone())), v: v.map((w) => tf.keep(w.tensor.clone())) };
    }
    this.steps = iterations;
  }

  dispose(): void {
    this.optimizer?.dispose();
    if (this.moments) tf.dispose([...this.moments.m, ...this.moments.v]);
    this.moments = undefined;
  }
}
