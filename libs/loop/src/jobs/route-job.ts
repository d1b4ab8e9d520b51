import type { Candidate } from '@forge/active-learning';
import { streams } from '@forge/domain';
import type { EventStore } from '@forge/event-store';
import { UnrecoverableJobError, type JobContext } from '@forge/messaging';
import { routeLabelTasks, type RoutedTask } from '../labeling';
import type { RouteJobPayload } from './definitions';
import { jobProgress } from './job-progress';
import { eventsUpTo } from './recorded-data';
import { recorderFor, type LoopJobDeps } from './train-jobs';

// The route job: label tasks for the images the selector is least sure about, plus gold images with
// known answers, each task created with its reason. It reads the scores the score job recorded, so it
// needs no model; task ids derive from the round name, so a repeated job creates no second task.

/**
 * A candidate from a recorded selector score. The record keeps the ensemble's mean and spread (the
 * members' standard deviation), so the members are stood in for by two scores mean ± spread: the same
 * mean and standard deviation, which is what disagreement ranks by.
 */
function candidateFromScore(imageId: string, score: number, spread: number): Candidate {
  return { imageId, score, samples: [Math.max(0, score - spread), Math.min(1, score + spread)] };
}

async function scoredCandidate(store: EventStore, imageId: string, selectorVersion: string): Promise<Candidate> {
  const events = await store.readStream(streams.image(imageId));
  if (!events.some((e) => e.type === 'ImageGenerated')) throw new UnrecoverableJobError(`image ${imageId} is not a generated image in the record`);
  const scored = events.find((e) => e.type === 'SelectorScored' && e.data.selectorVersion === selectorVersion);
  if (!scored) throw new UnrecoverableJobError(`image ${imageId} has no score from selector ${selectorVersion}: run the score job first`);
  const d = scored.data as { score: number; uncertainty: number };
  return candidateFromScore(imageId, d.score, d.uncertainty);
}

/** Real images registered for training (held-out images are never gold: nothing may learn from them). */
async function realTrainingImageIds(store: EventStore): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const e of eventsUpTo(store, Number.MAX_SAFE_INTEGER)) {
    if (e.type !== 'ImageRegistered') continue;
    const d = e.data as { imageId: string; origin: string; labels?: { split?: unknown } };
    if (d.origin === 'real' && d.labels?.split !== 'heldout') ids.add(d.imageId);
  }
  return ids;
}

export async function routeJob(deps: LoopJobDeps, job: JobContext<RouteJobPayload>): Promise<{ tasks: RoutedTask[] }> {
  const p = job.payload;
  const progress = jobProgress(job, (l) => deps.log?.(l));
  const candidates: Candidate[] = [];
  for (const [k, id] of p.imageIds.entries()) {
    candidates.push(await scoredCandidate(deps.store, id, p.selectorVersion));
    progress.step(k + 1, p.imageIds.length, 'reading scores');
  }
  if (p.goldImageIds.length > 0) {
    const real = await realTrainingImageIds(deps.store);
    const unknown = p.goldImageIds.filter((id) => !real.has(id));
    if (unknown.length > 0) throw new UnrecoverableJobError(`gold images must be real training images in the record; not: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}`);
  }
  const tasks = await routeLabelTasks(recorderFor(deps, job.id), {
    round: p.round,
    candidates,
    goldImageIds: p.goldImageIds,
    budget: p.budget,
    ratersPerTask: p.ratersPerTask,
    raterCap: p.raterCap,
    strategy: p.strategy,
  });
  await progress.set({ phase: 'done' });
  return { tasks };
}
