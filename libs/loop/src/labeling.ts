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

/** Routes candidates to label tasks (uncertain, random or gold, with the reason recorded). */
export async function createLabelTasks(recorder: Recorder, round: LabelRound): Promise<{ taskId: string; candidate: LabelCandidate; reason: LabelTaskReason }[]> {
  const byId = new Map([...round.candidates, ...round.gold].map((c) => [c.imageId, c]));
  const decisions = round.all
    ? round.candidates.map((c) => ({ imageId: c.imageId, reason: 'random' as const, priority: 1 }))
    : route({
        candidates: round.candidates.map((c): Candidate => ({ imageId: c.imageId, score: c.score, samples: c.samples })),
        budget: round.budget,
        ratingsSoFar: round.ratingsSoFar,
        policy: { strategy: 'uncertainty', goldFraction: 0.2, repeatFraction: 0, warmStartRatings: 0, seed: 7 },
        goldImageIds: round.gold.map((g) => g.imageId),
      });
  const tasks = [];
  for (const d of decisions) {
    const taskId = uuidFromName(`forge-loop/${round.round}/task/${d.imageId}`);
    const stream = streams.task(taskId);
    if ((await recorder.store.readStream(stream)).length === 0) {
      await handle(recorder, stream, labelTaskDecider, {
        type: 'CreateLabelTask',
        data: { taskId, imageId: d.imageId, reason: d.reason, priority: d.priority, ratersWanted: round.ratersPerTask, raterCap: Math.max(round.ratersPerTask, round.raterCap) },
        metadata: systemMetadata(recorder, `loop ${round.round}: routed as ${d.reason}`),
      });
    }
    tasks.push({ taskId, candidate: byId.get(d.imageId)!, reason: d.reason as LabelTaskReason });
  }
  return tasks;
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
