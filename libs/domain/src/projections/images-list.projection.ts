import type { Consensus, ImageOrigin } from '../events';
import type { Projection } from './projection';

/** One row of the images list: what the image is, its latest scores, how much it has been rated. */
export type ImageListItem = {
  imageId: string;
  datasetId: string | null;
  origin: ImageOrigin | null;
  sha256: string | null;
  width: number | null;
  height: number | null;
  modality: string | null;
  caption: string | null;
  generatorVersion: string | null;
  selector: { version: string; score: number; uncertainty: number } | null;
  alignment: { version: string; score: number } | null;
  ratingCount: number;
  consensus: Consensus | null;
  /** The task whose completion gave `consensus` (an undo on that task clears it). */
  consensusTaskId: string | null;
  registeredAt: string | null;
  updatedPosition: number;
};

function blank(imageId: string): ImageListItem {
  return {
    imageId,
    datasetId: null,
    origin: null,
    sha256: null,
    width: null,
    height: null,
    modality: null,
    caption: null,
    generatorVersion: null,
    selector: null,
    alignment: null,
    ratingCount: 0,
    consensus: null,
    consensusTaskId: null,
    registeredAt: null,
    updatedPosition: 0,
  };
}

export const imagesListProjection: Projection<
  ImageListItem,
  'ImageRegistered' | 'ImageGenerated' | 'SelectorScored' | 'AlignmentScored' | 'RatingSubmitted' | 'RatingRetracted' | 'LabelTaskCompleted'
> = {
  name: 'images',
  canHandle: ['ImageRegistered', 'ImageGenerated', 'SelectorScored', 'AlignmentScored', 'RatingSubmitted', 'RatingRetracted', 'LabelTaskCompleted'],
  documentId: (event) => event.data.imageId,
  evolve(doc, event) {
    // Events of one image come from several streams (dataset, image, tasks), so any may come first.
    const current = { ...(doc ?? blank(event.data.imageId)), updatedPosition: event.position };
    switch (event.type) {
      case 'ImageRegistered': {
        const { datasetId, origin, sha256, width, height, modality, caption } = event.data;
        return { ...current, datasetId, origin, sha256, width, height, modality, caption, registeredAt: event.metadata.occurredAt };
      }
      case 'ImageGenerated':
        return { ...current, generatorVersion: event.data.generatorVersion };
      case 'SelectorScored':
        return { ...current, selector: { version: event.data.selectorVersion, score: event.data.score, uncertainty: event.data.uncertainty } };
      case 'AlignmentScored':
        return { ...current, alignment: { version: event.data.policyVersion, score: event.data.score } };
      case 'RatingSubmitted':
        return { ...current, ratingCount: current.ratingCount + 1 };
      case 'RatingRetracted':
        return {
          ...current,
          ratingCount: Math.max(0, current.ratingCount - 1),
          ...(current.consensusTaskId === event.data.taskId ? { consensus: null, consensusTaskId: null } : {}),
        };
      case 'LabelTaskCompleted':
        return { ...current, consensus: event.data.consensus, consensusTaskId: event.data.taskId };
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  },
};

/** Images in a stable order (registration time, then id), optionally one dataset only. */
export function listImages(images: Record<string, ImageListItem>, filter: { datasetId?: string; origin?: ImageOrigin } = {}): ImageListItem[] {
  return Object.values(images)
    .filter((image) => (filter.datasetId === undefined || image.datasetId === filter.datasetId) && (filter.origin === undefined || image.origin === filter.origin))
    .sort((a, b) => compare(a.registeredAt ?? '', b.registeredAt ?? '') || compare(a.imageId, b.imageId));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
