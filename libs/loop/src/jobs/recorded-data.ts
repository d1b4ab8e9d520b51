import type { EventStore, GlobalCheckpoint, RecordedEvent } from '@forge/event-store';
import { foldState, modelVersionDecider, streams, type Consensus, type LabelTaskReason, type ModelKind, type ModelVersionEvent } from '@forge/domain';
import { decodeImage, readStoredImage } from '@forge/imaging';
import { UnrecoverableJobError } from '@forge/messaging';
import type { HeldOutImage } from '../evaluation';
import type { RatedImage } from '../labeling';
import { domainEvents } from '../record';
import type { Pixels } from '../pixels';

// A job gets only ids and a position: what it trains on is read back from the record (and the
// images from the content store), so every attempt, on any worker, sees the same data.

export interface RecordedTrainingData {
  /** Label tasks completed at or below the position, in record order. */
  rated: RatedImage[];
  /** Those of `rated` whose image was generated. */
  syntheticImageIds: Set<string>;
  /** Real training images registered at or below the position (held-out images excluded), with the diagnosis their registration states. */
  real: { imageId: string; sha256: string; caption: string; diagnosis?: string }[];
}

/** The record's events at or below a position, in reader order, a page at a time. */
export async function* eventsUpTo(store: EventStore, upToPosition: number, pageSize = 5000): AsyncGenerator<RecordedEvent> {
  let after: GlobalCheckpoint | undefined;
  for (;;) {
    const page = await store.readAll({ after, limit: pageSize });
    for (const e of page) if (e.position <= upToPosition) yield e;
    if (page.length < pageSize) return;
    const last = page[page.length - 1];
    after = { transactionId: last.transactionId, position: last.position };
  }
}

export async function readImagePixels(dataDir: string, imageId: string, sha256: string): Promise<Pixels> {
  let bytes: Buffer;
  try {
    bytes = await readStoredImage(dataDir, sha256);
  } catch (err) {
    throw new UnrecoverableJobError(`image ${imageId}: stored file ${sha256} cannot be read from ${dataDir} (${(err as Error).message})`);
  }
  const img = await decodeImage(bytes, `stored image ${sha256}`);
  return { rgb: new Uint8ClampedArray(img.data), width: img.width, height: img.height };
}

/** The rated images and real images the record holds up to `upToPosition`. */
export async function readTrainingData(store: EventStore, dataDir: string, upToPosition: number): Promise<RecordedTrainingData> {
  const images = new Map<string, { sha256: string; caption: string; origin: string; split: unknown; diagnosis: unknown }>();
  const tasks = new Map<string, { reason: LabelTaskReason; ratings: number; position: number }>();
  const completed: { taskId: string; imageId: string; consensus: Consensus }[] = [];
  for await (const e of eventsUpTo(store, upToPosition)) {
    const d = e.data as Record<string, unknown>;
    switch (e.type) {
      case 'ImageRegistered':
        images.set(String(d.imageId), { sha256: String(d.sha256), caption: String(d.caption), origin: String(d.origin), split: (d.labels as Record<string, unknown> | undefined)?.split, diagnosis: (d.labels as Record<string, unknown> | undefined)?.diagnosis });
        break;
      case 'LabelTaskCreated':
        tasks.set(String(d.taskId), { reason: d.reason as LabelTaskReason, ratings: 0, position: 0 });
        break;
      case 'RatingSubmitted': {
        const t = tasks.get(String(d.taskId));
        if (t) Object.assign(t, { ratings: t.ratings + 1, position: Math.max(t.position, e.position) });
        break;
      }
      case 'LabelTaskCompleted':
        completed.push({ taskId: String(d.taskId), imageId: String(d.imageId), consensus: d.consensus as unknown as Consensus });
        break;
    }
  }
  const rated: RatedImage[] = [];
  for (const c of completed) {
    const image = images.get(c.imageId);
    const task = tasks.get(c.taskId);
    if (!image || !task) throw new UnrecoverableJobError(`label task ${c.taskId}: its image ${c.imageId} or its creation is not in the record up to position ${upToPosition}`);
    rated.push({ imageId: c.imageId, taskId: c.taskId, pixels: await readImagePixels(dataDir, c.imageId, image.sha256), caption: image.caption, consensus: c.consensus, reason: task.reason, position: task.position, ratings: task.ratings });
  }
  const real = [...images.entries()].filter(([, i]) => i.origin === 'real' && i.split !== 'heldout');
  return {
    rated,
    syntheticImageIds: new Set(rated.filter((r) => images.get(r.imageId)?.origin === 'synthetic').map((r) => r.imageId)),
    real: real.map(([imageId, i]) => ({ imageId, sha256: i.sha256, caption: i.caption, ...(typeof i.diagnosis === 'string' ? { diagnosis: i.diagnosis } : {}) })),
  };
}

/**
 * The held-out real images (split `heldout`) in the order they were registered: their captions are the
 * fixed evaluation prompts, so every evaluation, on any worker, pairs sample k with the same prompt.
 */
export async function readHeldOut(store: EventStore, dataDir: string): Promise<HeldOutImage[]> {
  const found: { imageId: string; sha256: string; caption: string }[] = [];
  for await (const e of eventsUpTo(store, Number.MAX_SAFE_INTEGER)) {
    if (e.type !== 'ImageRegistered') continue;
    const d = e.data as { imageId: string; sha256: string; caption: string; origin: string; labels?: Record<string, unknown> };
    if (d.origin === 'real' && d.labels?.split === 'heldout') found.push({ imageId: d.imageId, sha256: d.sha256, caption: d.caption });
  }
  const out: HeldOutImage[] = [];
  for (const h of found) out.push({ caption: h.caption, pixels: await readImagePixels(dataDir, h.imageId, h.sha256) });
  return out;
}

/** The version of `model` that served at `upToPosition` (null when none was promoted by then). */
export async function promotedAsOf(store: EventStore, model: ModelKind, upToPosition: number): Promise<string | null> {
  const events = (await store.readStream(streams.model(model))).filter((e) => e.position <= upToPosition);
  const state = foldState(modelVersionDecider, domainEvents<ModelVersionEvent>(events));
  return state.status === 'Active' ? state.promoted : null;
}
