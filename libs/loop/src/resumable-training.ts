import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadPolicy, loadSelector, Policy, Rng, savePolicy, saveSelector, Selector, type CheckpointManifest, type SaveMeta } from '@forge/ml';
import { latestPartial, loadOptimizerState, readState, saveOptimizerState, writePartial, writeState } from './partial-checkpoints';
import { toTensor } from './pixels';
import { batchIndices, policyBatch, policyImages, policyLearningRate, policyPlan, policyTrainer, type PolicyTrainingData, type Progress, type RatedSet } from './training';

// The selector and policy trainers of training.ts, in a form a job can interrupt and resume: every
// `every` steps the weights, the optimizer moments and the random positions go to a partial
// checkpoint, and a restarted run continues from the newest one as if it had never stopped.

export interface PartialCheckpointing {
  /** `<dataDir>/models/<kind>/<version>.partial`. */
  dir: string;
  /** Steps between partial checkpoints (none after the last step: the finished version is saved instead). */
  every: number;
  /** Describes the partial checkpoints' manifests (version, lineage, seed). */
  meta: SaveMeta;
  /** Called once a partial checkpoint is on disk (the job records CheckpointSaved and reports progress). */
  onSaved?: (saved: { step: number; sha256: string; loss: number }) => Promise<void>;
  /** Checked after every step: true saves a partial checkpoint there and throws TrainingStopped. */
  shouldStop?: () => boolean;
}

/** Training stopped on request after saving a partial checkpoint at `step`: a later call continues there. */
export class TrainingStopped extends Error {
  constructor(readonly step: number) {
    super(`training stopped at step ${step} (partial checkpoint saved)`);
  }
}

/** After step `done` of `steps`: save a partial checkpoint when one is due or a stop is asked for (then stop). */
async function afterStep(done: number, steps: number, partial: PartialCheckpointing, save: (step: number) => Promise<void>): Promise<void> {
  if (done >= steps) return;
  const stop = partial.shouldStop?.() ?? false;
  if (done % partial.every === 0 || stop) await save(done);
  if (stop) throw new TrainingStopped(done);
  await yieldToEventLoop();
}

export interface ResumedTraining {
  /** The step this call started from: 0 for a fresh run, else the partial checkpoint's step. */
  resumedFrom: number;
  loss: number;
}

const LOSS_WINDOW = 5;

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0;
}

/** Lets timers run between steps: a job queue renews its lock on the job from a timer. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function checkEvery(every: number): void {
  if (!Number.isInteger(every) || every < 1) throw Object.assign(new Error(`partial checkpoints: every must be an integer ≥ 1, got ${every}`), { code: 'INVALID_INPUT' });
}

interface SelectorState {
  step: number;
  losses: number[];
  batchRng: number;
  memberRngs: number[];
}

/**
 * trainSelector (same seed offset, batches and result) with partial checkpoints. `start` builds the
 * selector a fresh run begins with (the parent version or a new one); a resumed run loads the partial
 * checkpoint's instead. The caller owns the returned selector.
 */
export async function trainSelectorResumable(
  start: () => Selector,
  data: RatedSet,
  steps: number,
  batch: number,
  seed: number,
  partial: PartialCheckpointing,
  progress?: Progress,
): Promise<ResumedTraining & { selector: Selector }> {
  checkEvery(partial.every);
  const rng = new Rng(seed + 4);
  const found = latestPartial(partial.dir);
  let selector: Selector;
  let losses: number[] = [];
  if (found) {
    selector = loadSelector(path.join(found.folder, 'model')).selector;
    const state = readState<SelectorState>(found.folder);
    const optimizer = loadOptimizerState(found.folder);
    try {
      await selector.restoreTrainingState({ optimizer, rngs: state.memberRngs });
    } finally {
      tf.dispose(Object.values(optimizer));
    }
    rng.restore(state.batchRng);
    losses = state.losses;
  } else selector = start();
  const from = found?.step ?? 0;
  const save = async (step: number) => {
    let manifest: CheckpointManifest | undefined;
    await writePartial(partial.dir, step, async (folder) => {
      const { optimizer, rngs } = await selector.trainingState();
      await saveOptimizerState(folder, optimizer, partial.meta);
      writeState(folder, { step, losses, batchRng: rng.snapshot(), memberRngs: rngs } satisfies SelectorState);
      manifest = await saveSelector(path.join(folder, 'model'), selector, { ...partial.meta, metrics: { loss: mean(losses), step } });
    });
    await partial.onSaved?.({ step, sha256: manifest!.weightsSha256, loss: mean(losses) });
  };
  const images = toTensor(data.pixels); // (N, H, W, 3)
  try {
    for (let s = from; s < steps; s++) {
      const idx = batchIndices(rng, data.pixels.length, batch);
      const b = tf.gather(images, idx) as tf.Tensor4D;
      losses = [...losses, selector.trainStep(b, idx.map((i) => data.quality[i]))].slice(-LOSS_WINDOW);
      b.dispose();
      progress?.(s + 1, steps);
      await afterStep(s + 1, steps, partial, save);
    }
  } catch (err) {
    selector.dispose();
    throw err;
  } finally {
    images.dispose();
  }
  return { selector, loss: mean(losses), resumedFrom: from };
}

interface PolicyState {
  step: number;
  losses: number[];
  rewardSum: number;
  batchRng: number;
}

/**
 * trainPolicy (same samples, seed offset, batches and result) with partial checkpoints; `start`
 * builds the policy a fresh run begins with. The caller owns the returned policy.
 */
export async function trainPolicyResumable(
  start: () => Policy,
  data: PolicyTrainingData,
  stage: 1 | 2,
  selectorScores: ArrayLike<number> | undefined,
  steps: number,
  batch: number,
  seed: number,
  partial: PartialCheckpointing,
  progress?: Progress,
): Promise<ResumedTraining & { policy: Policy; meanReward: number; samples: number }> {
  checkEvery(partial.every);
  const plan = policyPlan(data, stage, selectorScores);
  const rng = new Rng(seed + 5);
  const found = latestPartial(partial.dir);
  const policy = found ? loadPolicy(path.join(found.folder, 'model')).policy : start();
  const trainer = policyTrainer(policy);
  let losses: number[] = [];
  let rewardSum = 0;
  const save = async (step: number) => {
    let manifest: CheckpointManifest | undefined;
    await writePartial(partial.dir, step, async (folder) => {
      await saveOptimizerState(folder, await trainer.exportState(), partial.meta);
      writeState(folder, { step, losses, rewardSum, batchRng: rng.snapshot() } satisfies PolicyState);
      manifest = await savePolicy(path.join(folder, 'model'), policy, { ...partial.meta, metrics: { loss: mean(losses), step } });
    });
    await partial.onSaved?.({ step, sha256: manifest!.weightsSha256, loss: mean(losses) });
  };
  const images = policyImages(data, plan);
  try {
    if (found) {
      const state = readState<PolicyState>(found.folder);
      const optimizer = loadOptimizerState(found.folder);
      try {
        await trainer.importState(optimizer);
      } finally {
        tf.dispose(Object.values(optimizer));
      }
      rng.restore(state.batchRng);
      losses = state.losses;
      rewardSum = state.rewardSum;
    }
    for (let s = found?.step ?? 0; s < steps; s++) {
      trainer.setLearningRate(policyLearningRate(s, steps));
      const { rows, prompts, rewards } = policyBatch(rng, plan, data, batch);
      const b = tf.gather(images, rows) as tf.Tensor4D;
      const r = policy.trainStep(trainer, { images: b, prompts, rewards });
      b.dispose();
      losses = [...losses, r.loss].slice(-LOSS_WINDOW);
      rewardSum += r.meanReward;
      progress?.(s + 1, steps);
      await afterStep(s + 1, steps, partial, save);
    }
  } catch (err) {
    policy.dispose();
    throw err;
  } finally {
    images.dispose();
    trainer.dispose();
  }
  return { policy, loss: mean(losses), meanReward: steps > 0 ? rewardSum / steps : 0, samples: plan.samples, resumedFrom: found?.step ?? 0 };
}
