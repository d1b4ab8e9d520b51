import type { Event } from '../shared/event';

export type ImageOrigin = 'real' | 'synthetic';

/** True labels of an image (findings, grade…): free-form names to numbers or strings. */
export type ImageLabels = Record<string, string | number | boolean>;

/** Stream `dataset-<id>`. An import is one append: this event, then one ImageRegistered per image. */
export type DatasetImported = Event<
  'DatasetImported',
  {
    datasetId: string;
    name: string;
    /** Where it came from (file name or import-root relative path), never an absolute host path. */
    source: string;
    /** sha256 of the source file, hex. */
    sourceSha256: string;
    imageCount: number;
  }
>;

/**
 * Stream `dataset-<id>` for imported images, `image-<id>` for generated ones.
 * Images are content-addressed: `sha256` names the stored file.
 */
export type ImageRegistered = Event<
  'ImageRegistered',
  {
    imageId: string;
    datasetId: string | null;
    origin: ImageOrigin;
    sha256: string;
    width: number;
    height: number;
    modality: string;
    caption: string;
    labels: ImageLabels;
  }
>;

/** Stream `generation-<requestId>`: a batch of images asked from one generator version. */
export type GenerationRequested = Event<
  'GenerationRequested',
  {
    requestId: string;
    prompt: string;
    count: number;
    generatorVersion: string;
    seed: number;
    steps: number;
    guidance: number;
  }
>;

/** Stream `image-<id>`: followed by ImageRegistered (origin synthetic) in the same append. */
export type ImageGenerated = Event<
  'ImageGenerated',
  {
    imageId: string;
    requestId: string | null;
    prompt: string;
    seed: number;
    generatorVersion: string;
    sha256: string;
  }
>;

export type DatasetEvent = DatasetImported | ImageRegistered | GenerationRequested | ImageGenerated;
