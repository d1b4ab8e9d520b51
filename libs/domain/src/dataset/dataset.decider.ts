import type { DatasetImported, ImageLabels, ImageOrigin, ImageRegistered } from '../events';
import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/errors';
import { eventMetadata, type Command } from '../shared/event';
import { invalid, isPlainObject, requireInt, requireOneOf, requireSha256, requireString, requireText } from '../shared/guards';

export type ImageRegistration = {
  imageId: string;
  origin: ImageOrigin;
  sha256: string;
  width: number;
  height: number;
  modality: string;
  caption: string;
  labels: ImageLabels;
};

/** Stream `dataset-<id>`. An import is all-or-nothing: one append with every image in it. */
export type ImportDataset = Command<
  'ImportDataset',
  { datasetId: string; name: string; source: string; sourceSha256: string; images: ImageRegistration[] }
>;

export type DatasetCommand = ImportDataset;
export type DatasetEventOfStream = DatasetImported | ImageRegistered;

export type DatasetState =
  | { status: 'Empty' }
  | { status: 'Imported'; datasetId: string; name: string; imageIds: string[] };

export const MAX_IMAGES_PER_IMPORT = 200_000;

function decide(command: DatasetCommand, state: DatasetState): DatasetEventOfStream[] {
  switch (command.type) {
    case 'ImportDataset': {
      const { datasetId, name, source, sourceSha256, images } = command.data;
      if (state.status === 'Imported') {
        throw new DomainError('DATASET_ALREADY_IMPORTED', `dataset ${state.datasetId} was already imported`, { datasetId });
      }
      requireText('datasetId', datasetId, 200);
      requireText('name', name, 500);
      requireText('source', source, 2000);
      requireSha256('sourceSha256', sourceSha256);
      if (!Array.isArray(images) || images.length === 0) invalid('images', 'a dataset needs at least one image');
      if (images.length > MAX_IMAGES_PER_IMPORT) invalid('images', `at most ${MAX_IMAGES_PER_IMPORT} images per import`);
      const seen = new Set<string>();
      images.forEach((image, i) => {
        validateImage(`images[${i}]`, image);
        if (seen.has(image.imageId)) invalid(`images[${i}].imageId`, `duplicate image id ${image.imageId}`);
        seen.add(image.imageId);
      });
      const metadata = eventMetadata(command);
      return [
        { type: 'DatasetImported', data: { datasetId, name, source, sourceSha256, imageCount: images.length }, metadata },
        ...images.map(
          (image): ImageRegistered => ({
            type: 'ImageRegistered',
            data: {
              imageId: image.imageId,
              datasetId,
              origin: image.origin,
              sha256: image.sha256,
              width: image.width,
              height: image.height,
              modality: image.modality,
              caption: image.caption,
              labels: image.labels,
            },
            metadata,
          }),
        ),
      ];
    }
    default: {
      const _exhaustive: never = command.type;
      return _exhaustive;
    }
  }
}

export function validateImage(field: string, image: ImageRegistration): void {
  if (!isPlainObject(image)) invalid(field, 'must be an object');
  requireText(`${field}.imageId`, image.imageId, 200);
  requireOneOf(`${field}.origin`, image.origin, ['real', 'synthetic'] as const);
  requireSha256(`${field}.sha256`, image.sha256);
  requireInt(`${field}.width`, image.width, 1, 100_000);
  requireInt(`${field}.height`, image.height, 1, 100_000);
  requireText(`${field}.modality`, image.modality, 100);
  requireString(`${field}.caption`, image.caption, 5000);
  if (!isPlainObject(image.labels)) invalid(`${field}.labels`, 'must be an object of names to values');
  for (const [key, value] of Object.entries(image.labels)) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) invalid(`${field}.labels.${key}`, 'must be a string, number or boolean');
  }
}

function evolve(state: DatasetState, event: DatasetEventOfStream): DatasetState {
  switch (event.type) {
    case 'DatasetImported':
      return { status: 'Imported', datasetId: event.data.datasetId, name: event.data.name, imageIds: [] };
    case 'ImageRegistered':
      return state.status === 'Imported' ? { ...state, imageIds: [...state.imageIds, event.data.imageId] } : state;
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

export const datasetDecider: Decider<DatasetState, DatasetCommand, DatasetEventOfStream> = {
  decide,
  evolve,
  initialState: () => ({ status: 'Empty' }),
};
