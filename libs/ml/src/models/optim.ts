import * as tf from '@tensorflow/tfjs-core';
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

export interface StepResult {
  loss: number;
  gradNorm: number;
}

/**
 * Adam / AdamW over an explicit variable list, with global-norm clipping.
 * Frozen parts of a model are simply left out of `vars`.
 */
export class Trainer {
  readonly config: OptimizerConfig;
  private readonly optimizer: tf.AdamOptimizer;
  steps = 0;

  constructor(private readonly vars: tf.Variable[], config: Partial<OptimizerConfig> = {}) {
    this.config = { ...DEFAULT_OPTIMIZER, ...config };
    const c = this.config;
    if (!(c.learningRate > 0)) throw Object.assign(new Error(`Trainer: learningRate must be > 0, got ${c.learningRate}`), { code: 'INVALID_INPUT' });
    if (vars.length === 0) throw Object.assign(new Error('Trainer: no trainable variables'), { code: 'INVALID_INPUT' });
    this.optimizer = tf.train.adam(c.learningRate, c.beta1, c.beta2, c.epsilon);
  }

  /** One optimisation step on `lossFn` (run inside a tidy); returns the loss before the update. */
  step(lossFn: () => tf.Scalar): StepResult {
    const [loss, norm] = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(lossFn, this.vars);
      const clipped = clipByGlobalNorm(grads, this.config.clipNorm);
      this.optimizer.applyGradients(Object.entries(clipped.grads).map(([name, tensor]) => ({ name, tensor })));
      if (this.config.weightDecay > 0) {
        const keep = 1 - this.config.learningRate * this.config.weightDecay;
        for (const v of this.vars) if (v.rank >= 2) v.assign(tf.mul(v, keep));
      }
      return [value, clipped.norm];
    });
    const out = { loss: loss.dataSync()[0], gradNorm: norm.dataSync()[0] };
    loss.dispose();
    norm.dispose();
    this.steps++;
    return out;
  }

  /**
   * Adam's step count and moments as fresh tensors ("iterations", "m/<i>", "v/<i>" in variable
   * order), so a resumed run continues exactly; the caller disposes them.
   */
  async exportState(): Promise<tf.NamedTensorMap> {
    const [iterations, ...moments] = await this.optimizer.getWeights();
    const half = moments.length / 2;
    const out: tf.NamedTensorMap = { iterations: iterations.tensor };
    moments.forEach((w, i) => (out[`${i < half ? 'm' : 'v'}/${String(i % half).padStart(4, '0')}`] = w.tensor.clone()));
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
    await this.optimizer.setWeights([{ name: 'iter', tensor: state.iterations }, ...m, ...v]);
    this.steps = (await state.iterations.data())[0];
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
