import { route, type Candidate } from '@forge/active-learning';
import { labelTaskDecider, streams, type Consensus, type LabelTaskReason } from '@forge/domain';
import { uuidFromName } from '@forge/ingest';
import type { KnownTruth, Panel } from '@forge/phantom';
import type { Pixels } from './pixels';
import { handle, Recorder, systemMetadata } from './record';

/** An image the panel may be asked about, with what the models think of it. */
export interface LabelCandidate {
  imageId: string;
  pixels: Pixels;
  caption: string;
  /** Selector ensemble: mean score and member scores (routing's uncertainty). */
  score?: number;
  samples?: number[];
  /** Known for real phantoms only: what gold tasks are checked against. */
  truth?: KnownTruth;
}

export interface RatedImage {
  imageId: string;
  taskId: string;
  pixels: Pixels;
  caption: string;
  consensus: Consensus;
  reason: LabelTaskReason;
  /** Global position of the task's last rating. */
  position: number;
  ratings: number;
}

export interface LabelRound {
  /** Names the round; task ids derive from it, so a restart finds the same tasks. */
  round: string;
  candidates: LabelCandidate[];
  gold: LabelCandidate[];
  budget: number;
  ratingsSoFar: number;
  ratersPerTask: number;
  /** Most raters a disagreement can bring in: never more than the panel has. */
  raterCap: number;
  /** Rate every candidate (the first round: the models know nothing yet). */
  all?: boolean;
}

const LEASE_MS = 60 * 60 * 1000;

/** What routing needs of an image: the selector's view of it, no pixels. */
export interface RoutingInput {
  /** Names the round; task ids derive from it, so a repeated round creates no second task. */
  round: string;
  candidates: readonly Candidate[];
  goldImageIds: readonly string[];
  budget: number;
  ratersPerTask: number;
  raterCap: number;
  /** Rate every candidate (the first round: the models know nothing yet). */
  all?: boolean;
  /** Ratings recorded so far (routing is random during a warm start; the loop has none). */
  ratingsSoFar?: number;
  /** 'uncertainty' (default): uncertain first, with a gold share; 'random': the baseline. */
  strategy?: 'uncertainty' | 'random';
}

export interface RoutedTask {
  taskId: string;
  imageId: string;
  reason: LabelTaskReason;
  /** False when an earlier attempt of the same round had created the task. */
  createdNow: boolean;
}

/** Routes images to label tasks (uncertain, random or gold, with the reason recorded in the task's creation). */
export async function routeLabelTasks(recorder: Recorder, input: RoutingInput): Promise<RoutedTask[]> {
  const decisions = input.all
    ? input.candidates.map((c) => ({ imageId: c.imageId, reason: 'random' as const, priority: 1 }))
    : route({
        candidates: input.candidates,
        budget: input.budget,
        ratingsSoFar: input.ratingsSoFar ?? 0,
        policy: { strategy: input.strategy ?? 'uncertainty', goldFraction: 0.2, repeatFraction: 0, warmStartRatings: 0, seed: 7 },
        goldImageIds: input.goldImageIds,
      });
  const tasks: RoutedTask[] = [];
  for (const d of decisions) {
    const taskId = uuidFromName(`forge-loop/${input.round}/task/${d.imageId}`);
    const stream = streams.task(taskId);
    const createdNow = (await recorder.store.readStream(stream)).length === 0;
    if (createdNow) {
      await handle(recorder, stream, labelTaskDecider, {
        type: 'CreateLabelTask',
        data: { taskId, imageId: d.imageId, reason: d.reason, priority: d.priority, ratersWanted: input.ratersPerTask, raterCap: Math.max(input.ratersPerTask, input.raterCap) },
        metadata: systemMetadata(recorder, `loop ${input.round}: routed as ${d.reason}`),
      });
    }
    tasks.push({ taskId, imageId: d.imageId, reason: d.reason as LabelTaskReason, createdNow });
  }
  return tasks;
}

/** Routes candidates to label tasks and pairs each task with its candidate (pixels and caption for the panel). */
export async function createLabelTasks(recorder: Recorder, round: LabelRound): Promise<{ taskId: string; candidate: LabelCandidate; reason: LabelTaskReason }[]> {
  const byId = new Map([...round.candidates, ...round.gold].map((c) => [c.imageId, c]));
  const tasks = await routeLabelTasks(recorder, {
    round: round.round,
    candidates: round.candidates.map((c): Candidate => ({ imageId: c.imageId, score: c.score, samples: c.samples })),
    goldImageIds: round.gold.map((g) => g.imageId),
    budget: round.budget,
    ratersPerTask: round.ratersPerTask,
    raterCap: round.raterCap,
    ratingsSoFar: round.ratingsSoFar,
    all: round.all,
  });
  return tasks.map((t) => ({ taskId: t.taskId, candidate: byId.get(t.imageId)!, reason: t.reason }));
}

/**
 * The simulated panel claims and rates each task until it completes (a disagreement adds a
 * rater, up to the task's cap). Raters who already rated are skipped, so a restart continues.
 */
export async function rateTasks(recorder: Recorder, panel: Panel, tasks: { taskId: string; candidate: LabelCandidate; reason: LabelTaskReason }[], onProgress?: (done: number, total: number) => void): Promise<RatedImage[]> {
  const rated: RatedImage[] = [];
  let done = 0;
  for (const { taskId, candidate, reason } of tasks) {
    const stream = streams.task(taskId);
    for (let turn = 0; ; turn++) {
      const events = await recorder.store.readStream(stream);
      const completed = events.find((e) => e.type === 'LabelTaskCompleted');
      const ratings = events.filter((e) => e.type === 'RatingSubmitted');
      if (completed) {
        rated.push({ imageId: candidate.imageId, taskId, pixels: candidate.pixels, caption: candidate.caption, consensus: completed.data.consensus as unknown as Consensus, reason, position: Math.max(...ratings.map((r) => r.position)), ratings: ratings.length });
        break;
      }
      const already = new Set(ratings.map((r) => r.data.expertId as string));
      // Each task starts with a different rater, so no one rater sees every image first.
      const order = panel.raters.map((_, k) => panel.raters[(k + done) % panel.raters.length]);
      const rater = order.find((r) => !already.has(r.id));
      if (!rater) throw Object.assign(new Error(`label task ${taskId}: every rater on the panel has rated it and it is still open`), { code: 'CONFLICT' });
      const now = recorder.now();
      await handle(recorder, stream, labelTaskDecider, {
        type: 'AssignLabelTask',
        data: { taskId, expertId: rater.id, leaseUntil: new Date(now.getTime() + LEASE_MS).toISOString() },
        metadata: { ...systemMetadata(recorder, 'simulated panel claims the task'), actor: { kind: 'expert', id: rater.id } },
      });
      const r = panel.rate(rater.id, candidate.pixels, candidate.caption, candidate.truth);
      await handle(recorder, stream, labelTaskDecider, {
        type: 'SubmitRating',
        data: { taskId, expertId: rater.id, quality: r.quality, alignment: r.alignment, flags: [], comment: '', msSpent: r.msSpent },
        metadata: { ...systemMetadata(recorder, 'simulated panel rating'), actor: { kind: 'expert', id: rater.id } },
      });
    }
    onProgress?.(++done, tasks.length);
  }
  return rated;
}
