import type { EventStore } from '@forge/event-store';
import { DomainError, type ModelKind } from '@forge/domain';
import { JobInterruptedError, UnrecoverableJobError, type JobContext } from '@forge/messaging';
import { CheckpointIntegrityError, loadGenerator, loadPolicy, loadSelector, saveGenerator, savePolicy, saveSelector } from '@forge/ml';
import { checkpointDir, hasCheckpoint, loadFundusEncoder, saveMeta } from '../checkpoints';
import { sampleImages } from '../generation';
import { isValidation, ratedSet, selectorReward } from '../loop';
import { partialDir, removePartials } from '../partial-checkpoints';
import type { LoopPreset } from '../presets';
import type { Recorder } from '../record';
import { TrainingStopped, trainPolicyResumable, trainSelectorResumable, type PartialCheckpointing } from '../resumable-training';
import { failTrainingRun, trainingRun, type RunContext } from '../runs';
import { newPolicyFromText, newSelector, refineGenerator, type DiagnosedImages } from '../training';
import { policyDecision, selectorDecision, type ScorerDecision } from '../scorer-gates';
import { decideVersion, registerCandidate, versionStatus } from '../versions';
import { versionOfRun, type TrainJobPayload } from './definitions';
import { jobProgress, type JobProgress } from './job-progress';
import { promotedAsOf, readImagePixels, readTrainingData } from './recorded-data';

// The processors of train-selector, train-policy and refine-generator: read the data from the record,
// train (resuming from a partial checkpoint when an earlier attempt left one), save the version,
// record the run and register the candidate. Each is idempotent: a completed run is not trained again.

export interface LoopJobDeps {
  store: EventStore;
  dataDir: string;
  preset: LoopPreset;
  /** Steps between partial checkpoints. */
  checkpointEvery: number;
  log?: (line: string) => void;
  now?: () => Date;
}

export interface TrainJobResult {
  runId: string;
  version: string;
  sha256: string;
  steps: number;
  /** False when the run had completed before this attempt (nothing was trained). */
  trainedNow: boolean;
  /** Step this attempt started from: above 0 when it resumed from a partial checkpoint. */
  resumedFrom: number;
  /** Selector and policy: whether the validation gate promoted the version (a generator is decided by the evaluate job). */
  promoted?: boolean;
}

type TrainJob = JobContext<TrainJobPayload>;

/** The record as a job writes it: actor system, one correlation id per run or job. */
export function recorderFor(deps: LoopJobDeps, correlationId: string): Recorder {
  return { store: deps.store, correlationId, now: deps.now ?? (() => new Date()) };
}

function requireCheckpoint(dir: string, what: string): string {
  if (!hasCheckpoint(dir)) throw new UnrecoverableJobError(`${what}: no checkpoint at ${dir}`);
  return dir;
}

/**
 * Maps what a run can end with to the queue's terms: a stop request → JobInterruptedError (back to the
 * queue, progress kept); missing or invalid input, or a refusal by the run's decider → TrainingFailed
 * (not retryable) and UnrecoverableJobError; anything else is thrown as is and retried.
 */
async function asJob<T>(deps: LoopJobDeps, job: TrainJob, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof TrainingStopped) throw new JobInterruptedError(`${job.name} ${job.id}: ${err.message}`);
    const permanent = err instanceof UnrecoverableJobError || err instanceof DomainError || err instanceof CheckpointIntegrityError;
    if (!permanent) throw err;
    const message = `${job.name} ${job.id}: ${(err as Error).message}`;
    await failTrainingRun(recorderFor(deps, job.payload.runId), job.payload.runId, message, false, `job ${job.name} ${job.id} cannot succeed`).catch((e: Error) => deps.log?.(`${message}; TrainingFailed not recorded (${e.message})`));
    throw err instanceof UnrecoverableJobError ? err : new UnrecoverableJobError(message);
  }
}

function partialCheckpointing(deps: LoopJobDeps, job: TrainJob, run: RunContext, model: ModelKind, version: string, parent: string | null, seed: number, progress: JobProgress): PartialCheckpointing {
  return {
    dir: partialDir(deps.dataDir, model, version),
    every: deps.checkpointEvery,
    meta: saveMeta(version, parent, job.payload.upToPosition, seed, {}, { runId: run.runId, partial: true }),
    shouldStop: () => job.stopping(),
    onSaved: async ({ step, sha256, loss }) => {
      await run.recordCheckpoint(step, sha256, { loss });
      await progress.set({ checkpointStep: step });
    },
  };
}

function logResume(deps: LoopJobDeps, job: TrainJob, resumedFrom: number, recordedStep: number): void {
  if (resumedFrom > 0) deps.log?.(`${job.name} ${job.id}: resumed from step ${resumedFrom} (partial checkpoint; the record had step ${recordedStep})`);
}

export async function trainSelectorJob(deps: LoopJobDeps, job: TrainJob): Promise<TrainJobResult> {
  const { preset, dataDir, store } = deps;
  const p = job.payload;
  const version = versionOfRun('selector', p);
  const recorder = recorderFor(deps, p.runId);
  const progress = jobProgress(job, (l) => deps.log?.(l));
  return asJob(deps, job, async () => {
    await progress.set({});
    const data = await readTrainingData(store, dataDir, p.upToPosition);
    const training = data.rated.filter((r) => !isValidation(r));
    if (training.length === 0) throw new UnrecoverableJobError(`no rated training images up to position ${p.upToPosition}`);
    const parent = await promotedAsOf(store, 'selector', p.upToPosition);
    const parentDir = parent ? requireCheckpoint(checkpointDir(dataDir, 'selector', parent), `parent selector ${parent}`) : null;
    const steps = p.steps ?? preset.selector.retrainSteps;
    const reason = `job ${job.name} ${job.id}: train ${version} on ${training.length} rated images${parent ? ` from ${parent}` : ''}`;
    let resumedFrom = 0;
    const run = await trainingRun(recorder, { runId: p.runId, model: 'selector', upToPosition: p.upToPosition, newRatings: p.newRatings, config: { preset: preset.name, steps, images: training.length, parent }, reason }, async (ctx) => {
      const trained = await trainSelectorResumable(
        () => (parentDir ? loadSelector(parentDir).selector : newSelector(preset, 4)),
        ratedSet(training),
        steps,
        preset.selector.batch,
        p.upToPosition,
        partialCheckpointing(deps, job, ctx, 'selector', version, parent, 4, progress),
        (d, t) => progress.step(d, t),
      );
      resumedFrom = trained.resumedFrom;
      logResume(deps, job, resumedFrom, ctx.recordedStep);
      await progress.set({ resumedFrom });
      const manifest = await saveSelector(checkpointDir(dataDir, 'selector', version), trained.selector, saveMeta(version, parent, p.upToPosition, 4, { loss: trained.loss }, { runId: p.runId }));
      trained.selector.dispose();
      return { version, sha256: manifest.weightsSha256, steps, metrics: { loss: trained.loss, resumedFromStep: trained.resumedFrom } };
    });
    removePartials(partialDir(dataDir, 'selector', version));
    await registerCandidate(recorder, { model: 'selector', version, runId: run.runId, parentVersion: parent, sha256: run.sha256, metrics: run.metrics }, reason);
    await progress.set({ phase: 'validation' });
    const validation = data.rated.filter(isValidation);
    const promoted = await decideOnValidation(recorder, 'selector', version, parent, (dir) => loadSelector(dir).selector, (c, i) => selectorDecision(c, i, validation), deps);
    await progress.set({ phase: 'done' });
    return { runId: run.runId, version, sha256: run.sha256, steps, trainedNow: run.trainedNow, resumedFrom, promoted };
  });
}

/** Stage 2 (selector-accepted pairs, scored by the selector serving at the position) once a selector serves; else stage 1. */
export async function trainPolicyJob(deps: LoopJobDeps, job: TrainJob): Promise<TrainJobResult> {
  const { preset, dataDir, store } = deps;
  const p = job.payload;
  const version = versionOfRun('policy', p);
  const recorder = recorderFor(deps, p.runId);
  const progress = jobProgress(job, (l) => deps.log?.(l));
  return asJob(deps, job, async () => {
    await progress.set({});
    const data = await readTrainingData(store, dataDir, p.upToPosition);
    const training = data.rated.filter((r) => !isValidation(r));
    if (training.length === 0) throw new UnrecoverableJobError(`no rated training images up to position ${p.upToPosition}`);
    const parent = await promotedAsOf(store, 'policy', p.upToPosition);
    const parentDir = parent ? requireCheckpoint(checkpointDir(dataDir, 'policy', parent), `parent policy ${parent}`) : null;
    const textDir = requireCheckpoint(checkpointDir(dataDir, 'text-encoder', 'text-encoder-0'), 'the pretrained text encoder');
    const scorer = await promotedAsOf(store, 'selector', p.upToPosition);
    const stage: 1 | 2 = scorer ? 2 : 1;
    let scores: number[] | undefined;
    if (scorer) {
      const selector = loadSelector(requireCheckpoint(checkpointDir(dataDir, 'selector', scorer), `selector ${scorer}`)).selector;
      scores = selectorReward({ model: selector, version: scorer }).score(training.map((r) => r.pixels));
      selector.dispose();
    }
    // Stage 1 adds contrastive pairs of the real images whose registration states a diagnosis.
    const diagnosed = stage === 1 ? data.real.filter((r) => r.diagnosis !== undefined) : [];
    const real: DiagnosedImages | undefined = diagnosed.length
      ? { pixels: await Promise.all(diagnosed.map((r) => readImagePixels(dataDir, r.imageId, r.sha256))), captions: diagnosed.map((r) => r.caption), diagnoses: diagnosed.map((r) => r.diagnosis!) }
      : undefined;
    const encoderDir = checkpointDir(dataDir, 'fundus-encoder', 'fundus-encoder-0');
    const steps = p.steps ?? preset.policy.retrainSteps;
    const reason = `job ${job.name} ${job.id}: train ${version} (stage ${stage}) on ${training.length} rated pairs${parent ? ` from ${parent}` : ''}`;
    let resumedFrom = 0;
    const run = await trainingRun(recorder, { runId: p.runId, model: 'policy', upToPosition: p.upToPosition, newRatings: p.newRatings, config: { preset: preset.name, steps, stage, images: training.length, parent, scorer }, reason }, async (ctx) => {
      const trained = await trainPolicyResumable(
        () => (parentDir ? loadPolicy(parentDir).policy : newFirstPolicy(preset, textDir, encoderDir)),
        { ...ratedSet(training), real },
        stage,
        scores,
        steps,
        preset.policy.batch,
        p.upToPosition,
        partialCheckpointing(deps, job, ctx, 'policy', version, parent, 5, progress),
        (d, t) => progress.step(d, t),
      );
      resumedFrom = trained.resumedFrom;
      logResume(deps, job, resumedFrom, ctx.recordedStep);
      await progress.set({ resumedFrom });
      const metrics = { loss: trained.loss, meanReward: trained.meanReward, samples: trained.samples, stage, resumedFromStep: trained.resumedFrom };
      const manifest = await savePolicy(checkpointDir(dataDir, 'policy', version), trained.policy, saveMeta(version, parent, p.upToPosition, 5, metrics, { runId: p.runId }));
      trained.policy.dispose();
      return { version, sha256: manifest.weightsSha256, steps, metrics };
    });
    removePartials(partialDir(dataDir, 'policy', version));
    const m = run.metrics;
    await registerCandidate(recorder, { model: 'policy', version, runId: run.runId, parentVersion: parent, sha256: run.sha256, stage, meanReward: m.meanReward ?? 0, loss: m.loss ?? 0, samples: m.samples ?? 0 }, reason);
    await progress.set({ phase: 'validation' });
    const validation = data.rated.filter(isValidation);
    const promoted = await decideOnValidation(recorder, 'policy', version, parent, (dir) => loadPolicy(dir).policy, (c, i) => policyDecision(c, i, validation), deps);
    await progress.set({ phase: 'done' });
    return { runId: run.runId, version, sha256: run.sha256, steps, trainedNow: run.trainedNow, resumedFrom, promoted };
  });
}

/**
 * Promotes or rejects a trained selector or policy on the validation ratings against the version that
 * served when its data was read (the same rule as the embedded loop). Recorded once: a repeated job
 * finds the decision and returns it.
 */
async function decideOnValidation<M extends { dispose(): void }>(
  recorder: Recorder,
  model: 'selector' | 'policy',
  version: string,
  parent: string | null,
  load: (dir: string) => M,
  decision: (candidate: { model: M; version: string }, incumbent: { model: M; version: string } | null) => ScorerDecision,
  deps: LoopJobDeps,
): Promise<boolean> {
  const status = await versionStatus(recorder, model, version);
  if (status === 'Promoted' || status === 'Retired') return true;
  if (status === 'Rejected') return false;
  const candidate = { model: load(requireCheckpoint(checkpointDir(deps.dataDir, model, version), `${model} ${version}`)), version };
  const incumbent = parent ? { model: load(requireCheckpoint(checkpointDir(deps.dataDir, model, parent), `${model} ${parent}`)), version: parent } : null;
  try {
    const d = decision(candidate, incumbent);
    deps.log?.(`${d.reason}: ${d.passed ? 'promoted' : 'rejected'}`);
    return await decideVersion(recorder, model, version, d.metrics, d.passed, d.reason);
  } finally {
    candidate.model.dispose();
    incumbent?.model.dispose();
  }
}

/** A first policy: the image tower from the fundus encoder when the loop has saved one, else from scratch. */
function newFirstPolicy(preset: LoopPreset, textDir: string, encoderDir: string): ReturnType<typeof newPolicyFromText> {
  const encoder = hasCheckpoint(encoderDir) ? loadFundusEncoder(encoderDir) : undefined;
  try {
    return newPolicyFromText(preset, textDir, 5, encoder);
  } finally {
    encoder?.dispose();
  }
}

/**
 * Refines the generator serving at the position towards the selector serving there, on the rated
 * synthetic images mixed with the real ones. Not resumable inside: an interrupted refinement starts over.
 */
export async function refineGeneratorJob(deps: LoopJobDeps, job: TrainJob): Promise<TrainJobResult> {
  const { dataDir, store } = deps;
  const p = job.payload;
  const preset: LoopPreset = p.steps ? { ...deps.preset, refine: { ...deps.preset.refine, steps: p.steps } } : deps.preset;
  const version = versionOfRun('generator', p);
  const recorder = recorderFor(deps, p.runId);
  const progress = jobProgress(job, (l) => deps.log?.(l));
  return asJob(deps, job, async () => {
    await progress.set({});
    const parent = await promotedAsOf(store, 'generator', p.upToPosition);
    const rewardVersion = await promotedAsOf(store, 'selector', p.upToPosition);
    if (!parent || !rewardVersion) throw new UnrecoverableJobError(`refining needs a promoted generator and selector at position ${p.upToPosition} (found ${parent ?? 'no generator'}, ${rewardVersion ?? 'no selector'})`);
    const parentDir = requireCheckpoint(checkpointDir(dataDir, 'generator', parent), `parent generator ${parent}`);
    const selectorDir = requireCheckpoint(checkpointDir(dataDir, 'selector', rewardVersion), `selector ${rewardVersion}`);
    const data = await readTrainingData(store, dataDir, p.upToPosition);
    const synthetic = data.rated.filter((r) => data.syntheticImageIds.has(r.imageId));
    if (synthetic.length === 0 || data.real.length === 0) throw new UnrecoverableJobError(`refining needs rated synthetic and real images up to position ${p.upToPosition} (found ${synthetic.length} and ${data.real.length})`);
    const real = { pixels: await Promise.all(data.real.map((r) => readImagePixels(dataDir, r.imageId, r.sha256))), captions: data.real.map((r) => r.caption) };
    const selector = loadSelector(selectorDir).selector;
    try {
      const reward = selectorReward({ model: selector, version: rewardVersion });
      const prompts = synthetic.map((r) => r.caption);
      const rewards = reward.score(synthetic.map((r) => r.pixels));
      const reason = `job ${job.name} ${job.id}: refine ${parent} by ${preset.refine.method} towards ${rewardVersion} on ${synthetic.length} rated synthetic images`;
      const seed = 5000 + p.upToPosition;
      let rewardAfter = 0;
      const run = await trainingRun(recorder, { runId: p.runId, model: 'generator', upToPosition: p.upToPosition, newRatings: p.newRatings, config: { preset: preset.name, method: preset.refine.method, steps: preset.refine.steps, reward: rewardVersion, parent }, reason }, async () => {
        const candidate = loadGenerator(parentDir).generator;
        try {
          await progress.set({ phase: 'training', step: 0, of: 1 });
          const result = refineGenerator(preset, candidate, { pixels: synthetic.map((r) => r.pixels), prompts, rewards }, real, (batch) => reward.score(batch), seed, (d, t) => progress.step(d, t));
          rewardAfter = mean(reward.score(sampleImages(preset, candidate, prompts, seed)));
          const loss = mean(result.losses);
          const manifest = await saveGenerator(checkpointDir(dataDir, 'generator', version), candidate, saveMeta(version, parent, p.upToPosition, seed, { loss, kept: result.kept, rewardAfter }, { reward: rewardVersion, runId: p.runId }));
          return { version, sha256: manifest.weightsSha256, steps: preset.refine.steps, metrics: { loss, kept: result.kept, rewardAfter } };
        } finally {
          candidate.dispose();
        }
      });
      await registerCandidate(recorder, { model: 'generator', version, runId: run.runId, parentVersion: parent, sha256: run.sha256, method: preset.refine.method, rewardBefore: mean(rewards), rewardAfter: run.metrics.rewardAfter ?? rewardAfter }, reason);
      await progress.set({ phase: 'done' });
      return { runId: run.runId, version, sha256: run.sha256, steps: preset.refine.steps, trainedNow: run.trainedNow, resumedFrom: 0 };
    } finally {
      selector.dispose();
    }
  });
}

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0;
}

