import { randomUUID } from 'node:crypto';
import type { JsonObject, RecordedEvent } from '@forge/event-store';
import { DomainError, foldState, modelVersionDecider, streams, type Metrics, type ModelVersionCommand, type ModelVersionEvent } from '@forge/domain';
import { UnrecoverableJobError, type JobContext } from '@forge/messaging';
import { CheckpointIntegrityError, loadGenerator, loadSelector, type FundusEncoder } from '@forge/ml';
import { checkpointDir, hasCheckpoint, loadFundusEncoder, manifestOf } from '../checkpoints';
import { evaluateGenerator, evaluationMetrics, gateInput, readEvaluation, type EvaluationRecord, type HeldOutImage } from '../evaluation';
import { promotionGate } from '../gate';
import { selectorReward } from '../loop';
import type { Pixels } from '../pixels';
import { domainEvents, systemMetadata, type Recorder } from '../record';
import type { EvaluateJobPayload } from './definitions';
import { jobProgress, type JobProgress } from './job-progress';
import { promotedAsOf, readHeldOut } from './recorded-data';
import { recorderFor, type LoopJobDeps } from './train-jobs';

// The evaluate job: the embedded loop's evaluation of one generator version (held-out prompts, fixed seed,
// held-out judge, FD-fundus, KID, IS, the five image-quality measures), then the promotion gate against the
// serving version. EvaluationCompleted and the decision go to `model-generator` once, in one append expecting
// the stream as the job read it: a delivery running alongside another loses that race, is retried, and then
// finds the version decided and reports it as it stands. A decision recorded half (by another writer) is finished.

export interface EvaluateJobResult {
  version: string;
  status: 'Promoted' | 'Retired' | 'Rejected';
  promoted: boolean;
  /** The gate's sentence (or the baseline's, for a first version), as recorded. */
  reason: string;
  metrics: Record<string, number>;
  /** False when an earlier attempt or job had decided the version already: nothing was evaluated or recorded. */
  decidedNow: boolean;
}

const FUNDUS_ENCODER = 'fundus-encoder-0';

function requireCheckpoint(dir: string, what: string): string {
  if (!hasCheckpoint(dir)) throw new UnrecoverableJobError(`${what}: no checkpoint at ${dir}`);
  return dir;
}

/** The notes of the version's last EvaluationCompleted, or its rejection reason. */
function recordedReason(events: readonly RecordedEvent[], version: string): string {
  for (let k = events.length - 1; k >= 0; k--) {
    const e = events[k];
    if (e.type === 'ModelVersionRejected' && e.data.version === version) return String(e.data.reason);
    if (e.type === 'EvaluationCompleted' && e.data.modelVersion === version) return String(e.data.notes);
  }
  return '';
}

/** The loop's iterations are numbered by evaluation: one more than the highest recorded. */
function nextIteration(events: readonly RecordedEvent[]): number {
  const recorded = events.filter((e) => e.type === 'EvaluationCompleted').map((e) => Number((e.data.metrics as Record<string, number>).iteration));
  return Math.max(-1, ...recorded.filter(Number.isFinite)) + 1;
}

/**
 * Evaluation of a version, read back when cached next to its checkpoint. A cache made on other prompts or
 * with another seed cannot be paired with this one: that data folder belongs to another preset or world.
 */
function evaluationOf(deps: LoopJobDeps, version: string, heldOut: readonly HeldOutImage[], encoder: FundusEncoder, progress: JobProgress): { record: EvaluationRecord; images: Pixels[] } {
  const prompts = heldOut.map((h) => h.caption);
  const cached = readEvaluation(deps.dataDir, version);
  if (cached) {
    const same = cached.record.seed === deps.preset.evaluation.seed && cached.record.prompts.length === prompts.length && cached.record.prompts.every((p, k) => p === prompts[k]);
    if (!same) throw new UnrecoverableJobError(`generator ${version}: its cached evaluation in ${checkpointDir(deps.dataDir, 'generator', version)} used other held-out prompts or seed than the record and preset '${deps.preset.name}'`);
    return cached;
  }
  const generator = loadGenerator(requireCheckpoint(checkpointDir(deps.dataDir, 'generator', version), `generator ${version}`)).generator;
  try {
    return evaluateGenerator(deps.dataDir, deps.preset, generator, version, { heldOut }, encoder, (d, t) => progress.step(d, t, `evaluating ${version}`));
  } finally {
    generator.dispose();
  }
}

/** The selector the candidate was refined towards (its checkpoint says), else the one serving now. */
function rewardVersionOf(deps: LoopJobDeps, version: string, servingSelector: string | null): string {
  const recorded = manifestOf(checkpointDir(deps.dataDir, 'generator', version)).lineage.reward;
  const reward = typeof recorded === 'string' && recorded.length > 0 ? recorded : servingSelector;
  if (!reward) throw new UnrecoverableJobError(`generator ${version}: the gate needs the selector it was refined towards, and no selector serves`);
  return reward;
}

/**
 * EvaluationCompleted (unless recorded already) and the promotion or rejection, decided on the stream as
 * read (`events`) and appended together with that expected version, so a concurrent writer makes this fail
 * (WrongExpectedVersionError, retried) instead of recording the evaluation twice.
 */
async function recordDecision(recorder: Recorder, events: readonly RecordedEvent[], version: string, evaluation: { metrics: Metrics; passed: boolean; reason: string } | null, promote: boolean, reason: string): Promise<void> {
  const commands: ModelVersionCommand[] = [];
  if (evaluation) {
    const metrics = Object.fromEntries(Object.entries(evaluation.metrics).filter(([, v]) => Number.isFinite(v)));
    commands.push({ type: 'RecordEvaluation', data: { model: 'generator', version, metrics, passed: evaluation.passed, notes: evaluation.reason }, metadata: systemMetadata(recorder, `evaluation of generator ${version}`) });
  }
  commands.push(
    promote
      ? { type: 'PromoteVersion', data: { model: 'generator', version }, metadata: systemMetadata(recorder, reason) }
      : { type: 'RejectVersion', data: { model: 'generator', version, reason }, metadata: systemMetadata(recorder, reason) },
  );
  let state = foldState(modelVersionDecider, domainEvents<ModelVersionEvent>(events));
  const decided: ModelVersionEvent[] = [];
  for (const command of commands) {
    for (const e of modelVersionDecider.decide(command, state)) {
      state = modelVersionDecider.evolve(state, e);
      decided.push(e);
    }
  }
  await recorder.store.append(
    streams.model('generator'),
    decided.map((e) => ({ id: randomUUID(), type: e.type, data: e.data as unknown as JsonObject, metadata: e.metadata as unknown as JsonObject })),
    events.length,
  );
}

/** Missing or inconsistent input, or a refusal by the decider: no retry can help. */
async function asJob<T>(job: JobContext<EvaluateJobPayload>, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof UnrecoverableJobError) throw err;
    const invalidInput = (err as { code?: unknown }).code === 'INVALID_INPUT';
    if (err instanceof DomainError || err instanceof CheckpointIntegrityError || invalidInput) throw new UnrecoverableJobError(`${job.name} ${job.id}: ${(err as Error).message}`);
    throw err;
  }
}

export async function evaluateJob(deps: LoopJobDeps, job: JobContext<EvaluateJobPayload>): Promise<EvaluateJobResult> {
  const version = job.payload.generatorVersion;
  const recorder = recorderFor(deps, job.id);
  const progress = jobProgress(job, (l) => deps.log?.(l));
  return asJob(job, async () => {
    await progress.set({});
    const events = await deps.store.readStream(streams.model('generator'));
    const state = foldState(modelVersionDecider, domainEvents<ModelVersionEvent>(events));
    const current = state.status === 'Active' ? state.versions[version] : undefined;
    if (!current) throw new UnrecoverableJobError(`generator ${version} is not registered on ${streams.model('generator')}`);
    if (current.status === 'Promoted' || current.status === 'Retired' || current.status === 'Rejected') {
      await progress.set({ phase: 'done' });
      return { version, status: current.status, promoted: current.status !== 'Rejected', reason: recordedReason(events, version), metrics: 'metrics' in current ? current.metrics : {}, decidedNow: false };
    }
    if (current.status === 'Evaluated') {
      // An earlier attempt recorded the evaluation and died before the decision: carry out what it decided.
      const reason = recordedReason(events, version);
      await recordDecision(recorder, events, version, null, current.passed, reason);
      await progress.set({ phase: 'done' });
      return { version, status: current.passed ? 'Promoted' : 'Rejected', promoted: current.passed, reason, metrics: current.metrics, decidedNow: true };
    }

    requireCheckpoint(checkpointDir(deps.dataDir, 'generator', version), `generator ${version}`);
    const encoderDir = requireCheckpoint(checkpointDir(deps.dataDir, 'fundus-encoder', FUNDUS_ENCODER), 'the frozen fundus encoder');
    await progress.set({ phase: 'reading the held-out images' });
    const heldOut = await readHeldOut(deps.store, deps.dataDir);
    if (heldOut.length < 2) throw new UnrecoverableJobError(`evaluation needs at least 2 held-out real images in the record, found ${heldOut.length}`);
    const incumbent = state.status === 'Active' ? state.promoted : null;

    const encoder = loadFundusEncoder(encoderDir);
    let candidate: { record: EvaluationRecord; images: Pixels[] };
    let incumbentEval: { record: EvaluationRecord; images: Pixels[] } | undefined;
    try {
      candidate = evaluationOf(deps, version, heldOut, encoder, progress);
      if (incumbent) incumbentEval = evaluationOf(deps, incumbent, heldOut, encoder, progress);
    } finally {
      encoder.dispose();
    }

    const metrics: Record<string, number> = { iteration: nextIteration(events), ...evaluationMetrics(candidate.record) };
    let passed = true;
    let reason = `${version}: first generator version, the baseline every later version is compared with`;
    if (incumbent && incumbentEval) {
      await progress.set({ phase: 'promotion gate' });
      const rewardVersion = rewardVersionOf(deps, version, await promotedAsOf(deps.store, 'selector', Number.MAX_SAFE_INTEGER));
      const selector = loadSelector(requireCheckpoint(checkpointDir(deps.dataDir, 'selector', rewardVersion), `selector ${rewardVersion}`)).selector;
      try {
        const reward = selectorReward({ model: selector, version: rewardVersion });
        const decision = promotionGate(gateInput(candidate, reward), gateInput(incumbentEval, reward));
        Object.assign(metrics, { rewardDelta: decision.deltas.selectorReward.mean, judgeQualityDelta: decision.deltas.judgeQuality.mean, judgeMatchDelta: decision.deltas.judgeMatch.mean, fdFundusRatio: decision.deltas.fdFundusRatio });
        passed = decision.promote;
        reason = decision.reason;
      } finally {
        selector.dispose();
      }
    }
    await recordDecision(recorder, events, version, { metrics, passed, reason }, passed, reason);
    deps.log?.(`${job.name} ${job.id}: ${reason}`);
    await progress.set({ phase: 'done' });
    return { version, status: passed ? 'Promoted' : 'Rejected', promoted: passed, reason, metrics, decidedNow: true };
  });
}
