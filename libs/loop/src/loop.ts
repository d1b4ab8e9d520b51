import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EventStore } from '@forge/event-store';
import { FundusEncoder, Generator, loadGenerator, loadPolicy, loadSelector, Policy, saveGenerator, savePolicy, saveSelector, saveTextEncoder, Selector, Rng } from '@forge/ml';
import { createPanel, type Panel } from '@forge/phantom';
import { checkpointDir, hasCheckpoint, loadFundusEncoder, saveFundusEncoder, saveMeta } from './checkpoints';
import { evaluateGenerator, evaluationMetrics, gateInput, RewardModel, type EvaluationRecord } from './evaluation';
import { promotionGate } from './gate';
import { generateImages, scoreImages } from './generation';
import { createLabelTasks, LabelCandidate, rateTasks, RatedImage } from './labeling';
import type { LoopPreset } from './presets';
import type { Recorder } from './record';
import { policyDecision, selectorDecision, selectorScores } from './scorer-gates';
import { trainingRun } from './runs';
import { newPolicyFromText, newSelector, pretrainGenerator, pretrainTextEncoder, Progress, RatedSet, refineGenerator, trainFundusEncoder, trainPolicy, trainSelector, type DiagnosedImages } from './training';
import { decideVersion, registerCandidate } from './versions';
import { PhantomWorld, registerWorld, renderWorld } from './world';

export interface ProgressReporter {
  (label: string): { update(done: number, total: number): void; stop(): void };
}

export interface LoopOptions {
  store: EventStore;
  dataDir: string;
  preset: LoopPreset;
  /** Refinement iterations to have completed (a restart continues up to this number). */
  iterations: number;
  progress?: ProgressReporter;
  log?: (line: string) => void;
  /** Checked between steps: true stops the loop after the current step. */
  shouldStop?: () => boolean;
  /** What the generator is refined towards; default the current selector. Tests pass a degenerate one. */
  rewardModel?: (selector: { model: Selector; version: string }) => RewardModel;
  now?: () => Date;
}

/** A data folder belongs to one preset: model versions of another size would collide with its names. */
function assertSamePreset(dataDir: string, preset: LoopPreset): void {
  const file = path.join(dataDir, 'models', 'loop-preset.json');
  if (fs.existsSync(file)) {
    const recorded = (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string }).name;
    if (recorded !== preset.name) {
      throw Object.assign(new Error(`the loop in ${dataDir} runs the '${recorded}' preset (${file}); use --preset ${recorded}, or another data folder (FORGE_DATA_DIR) for '${preset.name}'`), { code: 'CONFLICT' });
    }
    return;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ name: preset.name }) + '\n');
}

export interface IterationSummary {
  iteration: number;
  generatorVersion: string;
  evaluation: EvaluationRecord;
  selectorSpearman: number | null;
  policyAuc: number | null;
  promoted: boolean;
  reason: string;
}

export interface LoopResult {
  iterations: IterationSummary[];
  stopped: boolean;
}

class Stopped extends Error {}

interface Serving<M> {
  model: M;
  version: string;
}

const fmt = (x: number) => x.toFixed(3);

/** Quality and alignment ratings as training targets r̂ = (r − 1) / 2. */
export function ratedSet(rated: readonly RatedImage[]): RatedSet {
  return {
    pixels: rated.map((r) => r.pixels),
    captions: rated.map((r) => r.caption),
    quality: rated.map((r) => (r.consensus.quality - 1) / 2),
    alignment: rated.map((r) => (r.consensus.alignment - 1) / 2),
  };
}

export function selectorReward(selector: Serving<Selector>): RewardModel {
  return { version: selector.version, score: (images) => selectorScores(selector.model, images) };
}

/** A fixed fifth of the first ratings never trains the selector or policy: their validation set. */
export function isValidation(r: RatedImage): boolean {
  return parseInt(r.taskId.slice(0, 2), 16) % 5 === 0;
}

function iterationMetrics(e: EvaluationRecord, iteration: number, selectorSpearman: number | null, policyAuc: number | null): Record<string, number> {
  const out: Record<string, number> = { iteration, ...evaluationMetrics(e) };
  if (selectorSpearman !== null) out.selectorSpearman = selectorSpearman;
  if (policyAuc !== null) out.policyAuc = policyAuc;
  return out;
}

/**
 * The self-improvement loop. Every step records its events through the deciders and is skipped
 * (or re-read from the record and the checkpoints) when a previous run already completed it.
 */
export async function runLoop(options: LoopOptions): Promise<LoopResult> {
  const { store, dataDir, preset } = options;
  const recorder: Recorder = { store, correlationId: randomUUID(), now: options.now ?? (() => new Date()) };
  const log = options.log ?? (() => undefined);
  const bar = (label: string) => options.progress?.(label) ?? { update() {}, stop() {} };
  const withBar = async <T>(label: string, fn: (p: Progress) => T | Promise<T>): Promise<T> => {
    if (options.shouldStop?.()) throw new Stopped();
    const b = bar(label);
    try {
      return await fn((d, t) => b.update(d, t));
    } finally {
      b.stop();
    }
  };
  const panel: Panel = createPanel(preset.panel);
  const summaries: IterationSummary[] = [];
  const owned: { dispose(): void }[] = [];
  const genDir = (v: string) => checkpointDir(dataDir, 'generator', v);

  assertSamePreset(dataDir, preset);
  try {
    // ---- the phantom world ----------------------------------------------------------------
    const world: PhantomWorld = await withBar('phantom world', async () => renderWorld(preset, dataDir));
    const worldPosition = await registerWorld(recorder, world);
    const real = { pixels: world.train.map((r) => r.pixels), captions: world.train.map((r) => r.caption) };

    // ---- pretraining: text encoder + generator --------------------------------------------
    const gen0 = 'generator-0';
    const pretrain = await trainingRun(
      recorder,
      { model: 'generator', upToPosition: worldPosition, newRatings: 0, config: { preset: preset.name, method: 'pretrain', steps: preset.generator.pretrainSteps, mlmSteps: preset.text.mlmSteps }, reason: 'loop: pretrain the text encoder (MLM) and the generator on real phantoms' },
      async () => {
        const { text, loss: mlm } = await withBar('text encoder (MLM)', (p) => pretrainTextEncoder(preset, real.captions, 1, p));
        await saveTextEncoder(checkpointDir(dataDir, 'text-encoder', 'text-encoder-0'), text, saveMeta('text-encoder-0', null, worldPosition, 1, { mlmLoss: mlm }));
        const { generator, loss } = await withBar('generator pretraining', (p) => pretrainGenerator(preset, text, real, 2, p));
        const manifest = await saveGenerator(genDir(gen0), generator, saveMeta(gen0, null, worldPosition, 2, { loss, mlmLoss: mlm }, { textEncoder: 'text-encoder-0' }));
        generator.dispose();
        return { version: gen0, sha256: manifest.weightsSha256, steps: preset.generator.pretrainSteps, metrics: { loss, mlmLoss: mlm } };
      },
    );
    let generator: Serving<Generator> = { model: loadGenerator(genDir(gen0)).generator, version: gen0 };
    await registerCandidate(recorder, { model: 'generator', version: gen0, runId: pretrain.runId, parentVersion: null, sha256: pretrain.sha256, method: 'pretrain', rewardBefore: 0, rewardAfter: 0 }, 'loop: the pretrained generator is the first candidate');

    // ---- the frozen fundus encoder (FD-fundus, KID, IS) ----------------------------------
    const encDir = checkpointDir(dataDir, 'fundus-encoder', 'fundus-encoder-0');
    let encoder: FundusEncoder;
    if (hasCheckpoint(encDir)) encoder = loadFundusEncoder(encDir);
    else {
      const trained = await withBar('fundus encoder', (p) => trainFundusEncoder(preset, { pixels: world.train.map((r) => r.pixels), diagnoses: world.train.map((r) => r.labels.diagnosis) }, 3, p));
      encoder = trained.encoder;
      await saveFundusEncoder(encDir, encoder, saveMeta('fundus-encoder-0', null, worldPosition, 3, { loss: trained.loss }));
    }
    owned.push(encoder);

    // ---- first ratings: real phantoms (faulty ones included) + a first generated batch ----
    const firstPrompts = Array.from({ length: preset.firstGeneratedBatch }, (_, i) => real.captions[i % real.captions.length]);
    const firstBatch = await withBar('generating the first batch', (p) => generateImages(recorder, dataDir, preset, generator.model, gen0, 'initial', firstPrompts, 1000, p));
    const truthOf = (r: PhantomWorld['train'][number]): LabelCandidate => ({ imageId: r.imageId, pixels: r.pixels, caption: r.caption, truth: { quality: r.labels.quality, captionMatches: true } });
    const initialTasks = await createLabelTasks(recorder, {
      round: 'initial',
      candidates: [...world.train.map(truthOf), ...firstBatch.map((g) => ({ imageId: g.imageId, pixels: g.pixels, caption: g.prompt }))],
      gold: [],
      budget: 0,
      ratingsSoFar: 0,
      ratersPerTask: preset.iteration.ratersPerTask,
      raterCap: preset.panel.raters.length,
      all: true,
    });
    const rated: RatedImage[] = await withBar('panel rates the first images', (p) => rateTasks(recorder, panel, initialTasks, p));
    const validation = rated.filter(isValidation);
    const firstTraining = rated.filter((r) => !isValidation(r));
    const firstPosition = Math.max(...rated.map((r) => r.position));
    const firstRatings = rated.reduce((s, r) => s + r.ratings, 0);

    // ---- selector and policy, first versions ----------------------------------------------
    const selector = await trainOrLoadSelector('selector-0', null, firstPosition, firstRatings, firstTraining, preset.selector.pretrainSteps, 'loop: first selector on the panel ratings of real phantoms and the first generated batch');
    const selector0 = selectorDecision(selector, null, validation);
    const selector0Spearman = selector0.serving;
    await decideVersion(recorder, 'selector', selector.version, selector0.metrics, selector0.passed, selector0.reason);
    const diagnosed: DiagnosedImages = { ...real, diagnoses: world.train.map((r) => r.labels.diagnosis) };
    let policy = await trainOrLoadPolicy('policy-0', null, firstPosition, firstRatings, firstTraining, 1, preset.policy.pretrainSteps, 'loop: first policy (stage 1, every rated pair and contrastive pairs of real phantoms)', undefined, { encoder, real: diagnosed });
    const policy0 = policyDecision(policy, null, validation);
    const policy0Auc = policy0.serving;
    await decideVersion(recorder, 'policy', policy.version, policy0.metrics, policy0.passed, policy0.reason);

    // ---- iteration 0: the pretrained generator's evaluation is the baseline ----------------
    const eval0 = await withBar(`evaluating ${gen0}`, (p) => evaluateGenerator(dataDir, preset, generator.model, gen0, world, encoder, p));
    await decideVersion(recorder, 'generator', gen0, iterationMetrics(eval0.record, 0, selector0Spearman, policy0Auc), true, `${gen0}: the pretrained baseline every later version is compared with`);
    summaries.push({ iteration: 0, generatorVersion: gen0, evaluation: eval0.record, selectorSpearman: selector0Spearman, policyAuc: policy0Auc, promoted: true, reason: 'baseline' });
    let incumbentEval = eval0;
    log(`iteration 0: ${gen0} judge quality ${fmt(eval0.record.judgeQuality.reduce((s, x) => s + x, 0) / eval0.record.judgeQuality.length)}`);

    for (let i = 1; i <= options.iterations; i++) {
      // -- generate and score with the serving models --
      const rng = new Rng(100 + i);
      const prompts = Array.from({ length: preset.iteration.generated }, () => real.captions[rng.int(real.captions.length)]);
      const images = await withBar(`iteration ${i}: generating`, (p) => generateImages(recorder, dataDir, preset, generator.model, generator.version, `iter-${i}`, prompts, 10_000 * i, p));
      const scores = await withBar(`iteration ${i}: scoring`, (p) => scoreImages(recorder, selector, policy, images, p));

      // -- route uncertain, random and gold images to the panel --
      const gold = rng.shuffle(world.train).slice(0, 4).map(truthOf);
      const tasks = await createLabelTasks(recorder, {
        round: `iter-${i}`,
        candidates: images.map((g, k) => ({ imageId: g.imageId, pixels: g.pixels, caption: g.prompt, score: scores[k].score, samples: scores[k].members })),
        gold,
        budget: preset.iteration.labelBudget,
        ratingsSoFar: rated.length,
        ratersPerTask: preset.iteration.ratersPerTask,
        raterCap: preset.panel.raters.length,
      });
      if (options.shouldStop?.()) throw new Stopped();
      const newlyRated = await withBar(`iteration ${i}: panel rating`, (p) => rateTasks(recorder, panel, tasks, p));
      rated.push(...newlyRated);

      // -- retrain trigger: enough new ratings since the last training --
      const newRatings = newlyRated.reduce((s, r) => s + r.ratings, 0);
      if (newRatings < preset.iteration.retrainThreshold) {
        log(`iteration ${i}: ${newRatings} new ratings, below the retrain threshold ${preset.iteration.retrainThreshold}; no retraining`);
        continue;
      }
      const upTo = Math.max(...newlyRated.map((r) => r.position));
      const training = rated.filter((r) => !validation.includes(r));

      const nextSelector = await trainOrLoadSelector(`selector-${i}`, selector.version, upTo, newRatings, training, preset.selector.retrainSteps, `loop iteration ${i}: retrain the selector on ${training.length} rated images`);
      const sDecision = selectorDecision(nextSelector, selector, validation);
      if (await decideVersion(recorder, 'selector', nextSelector.version, sDecision.metrics, sDecision.passed, sDecision.reason)) {
        selector.model.dispose();
        Object.assign(selector, nextSelector);
      } else nextSelector.model.dispose();

      const stage2Scores = selectorScores(selector.model, training.map((r) => r.pixels));
      const nextPolicy = await trainOrLoadPolicy(`policy-${i}`, policy.version, upTo, newRatings, training, 2, preset.policy.retrainSteps, `loop iteration ${i}: policy stage 2 on selector-accepted pairs`, stage2Scores);
      const pDecision = policyDecision(nextPolicy, policy, validation);
      // The iteration's scorer figures: the serving versions' agreement on the validation ratings, as for iteration 0.
      const selectorSpearman = sDecision.serving;
      const policyAuc = pDecision.serving;
      if (await decideVersion(recorder, 'policy', nextPolicy.version, pDecision.metrics, pDecision.passed, pDecision.reason)) {
        policy.model.dispose();
        policy = nextPolicy;
      } else nextPolicy.model.dispose();

      // -- refine the generator towards the reward, mixed with real images --
      const reward = options.rewardModel ? options.rewardModel(selector) : selectorReward(selector);
      const version = `generator-${i}`;
      const rewards = reward.score(images.map((g) => g.pixels));
      // The real images are weighed by the same reward: the generator moves towards what experts rate well.
      const realRewards = reward.score(real.pixels);
      const refined = await trainingRun(
        recorder,
        { model: 'generator', upToPosition: upTo, newRatings, config: { preset: preset.name, method: preset.refine.method, steps: preset.refine.steps, reward: reward.version, parent: generator.version }, reason: `loop iteration ${i}: refine ${generator.version} by ${preset.refine.method} refinement` },
        async () => {
          const candidate = loadGenerator(genDir(generator.version)).generator;
          const result = await withBar(`iteration ${i}: refining the generator (${preset.refine.method})`, (p) =>
            refineGenerator(preset, candidate, { pixels: images.map((g) => g.pixels), prompts: images.map((g) => g.prompt), rewards }, { ...real, rewards: realRewards }, (batch) => reward.score(batch), 5000 + i, p),
          );
          const loss = result.losses.reduce((s, x) => s + x, 0) / Math.max(1, result.losses.length);
          const manifest = await saveGenerator(genDir(version), candidate, saveMeta(version, generator.version, upTo, 5000 + i, { loss, kept: result.kept, keptReal: result.keptReal ?? real.pixels.length }, { reward: reward.version }));
          candidate.dispose();
          return { version, sha256: manifest.weightsSha256, steps: preset.refine.steps, metrics: { loss, kept: result.kept, keptReal: result.keptReal ?? real.pixels.length } };
        },
      );
      const candidate = loadGenerator(genDir(version)).generator;
      const candEval = await withBar(`iteration ${i}: evaluating ${version}`, (p) => evaluateGenerator(dataDir, preset, candidate, version, world, encoder, p));

      // -- the promotion gate: held-out judge and FD-fundus, paired on the same prompts and seeds --
      const incumbentInput = gateInput(incumbentEval, reward);
      const candidateInput = gateInput(candEval, reward);
      const decision = promotionGate(candidateInput, incumbentInput);
      const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
      await registerCandidate(
        recorder,
        { model: 'generator', version, runId: refined.runId, parentVersion: generator.version, sha256: refined.sha256, method: preset.refine.method, rewardBefore: mean(incumbentInput.selectorReward), rewardAfter: mean(candidateInput.selectorReward) },
        `loop iteration ${i}: refined generator candidate`,
      );
      const metrics = { ...iterationMetrics(candEval.record, i, selectorSpearman, policyAuc), rewardDelta: decision.deltas.selectorReward.mean, judgeQualityDelta: decision.deltas.judgeQuality.mean, fdFundusRatio: decision.deltas.fdFundusRatio };
      const promoted = await decideVersion(recorder, 'generator', version, metrics, decision.promote, decision.reason);
      summaries.push({ iteration: i, generatorVersion: version, evaluation: candEval.record, selectorSpearman, policyAuc, promoted, reason: decision.reason });
      log(`iteration ${i}: ${decision.reason}`);
      if (promoted) {
        generator.model.dispose();
        generator = { model: candidate, version };
        incumbentEval = candEval;
      } else candidate.dispose();
    }
    owned.push(generator.model, selector.model, policy.model);
    return { iterations: summaries, stopped: false };
  } catch (err) {
    if (err instanceof Stopped) return { iterations: summaries, stopped: true };
    throw err;
  } finally {
    owned.forEach((m) => m.dispose());
  }

  async function trainOrLoadSelector(version: string, parent: string | null, upTo: number, newRatings: number, data: RatedImage[], steps: number, reason: string): Promise<Serving<Selector>> {
    const dir = checkpointDir(dataDir, 'selector', version);
    const run = await trainingRun(recorder, { model: 'selector', upToPosition: upTo, newRatings, config: { preset: preset.name, steps, images: data.length, parent }, reason }, async () => {
      const model = parent ? loadSelector(checkpointDir(dataDir, 'selector', parent)).selector : newSelector(preset, 4);
      const loss = await withBar(`training ${version}`, (p) => trainSelector(model, ratedSet(data), steps, preset.selector.batch, upTo, p));
      const manifest = await saveSelector(dir, model, saveMeta(version, parent, upTo, 4, { loss }));
      model.dispose();
      return { version, sha256: manifest.weightsSha256, steps, metrics: { loss } };
    });
    await registerCandidate(recorder, { model: 'selector', version, runId: run.runId, parentVersion: parent, sha256: run.sha256, metrics: run.metrics }, reason);
    return { model: loadSelector(dir).selector, version };
  }

  /** `first`: a first version's image tower starts from the fundus encoder; stage 1 adds the real images' contrastive pairs. */
  async function trainOrLoadPolicy(version: string, parent: string | null, upTo: number, newRatings: number, data: RatedImage[], stage: 1 | 2, steps: number, reason: string, scores?: number[], first?: { encoder: FundusEncoder; real: DiagnosedImages }): Promise<Serving<Policy>> {
    const dir = checkpointDir(dataDir, 'policy', version);
    let result = { loss: 0, meanReward: 0, samples: 0 };
    const run = await trainingRun(recorder, { model: 'policy', upToPosition: upTo, newRatings, config: { preset: preset.name, steps, stage, images: data.length, parent }, reason }, async () => {
      const model = parent ? loadPolicy(checkpointDir(dataDir, 'policy', parent)).policy : newPolicyFromText(preset, checkpointDir(dataDir, 'text-encoder', 'text-encoder-0'), 5, first?.encoder);
      result = await withBar(`training ${version} (stage ${stage})`, (p) => trainPolicy(model, { ...ratedSet(data), real: first?.real }, stage, scores, steps, preset.policy.batch, upTo, p));
      const manifest = await savePolicy(dir, model, saveMeta(version, parent, upTo, 5, { ...result, stage }));
      model.dispose();
      return { version, sha256: manifest.weightsSha256, steps, metrics: { ...result, stage } };
    });
    const m = run.metrics;
    await registerCandidate(recorder, { model: 'policy', version, runId: run.runId, parentVersion: parent, sha256: run.sha256, stage, meanReward: m.meanReward ?? 0, loss: m.loss ?? 0, samples: m.samples ?? 0 }, reason);
    return { model: loadPolicy(dir).policy, version };
  }
}
