import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { EventStore, NewEvent } from '@forge/event-store';
import { CommandMetadata, DatasetImported, eventMetadata, ImageRegistered, streams } from '@forge/domain';
import { storeImage } from '@forge/imaging';
import { parseDatasetCsv } from './dataset-csv';
import { IngestError } from './errors';
import { ImageSource } from './image-source';
import { imageIdFor, uuidFromName } from './ids';
import { prepareRowImages } from './prepare-images';

export interface ImportDatasetInput {
  store: Pick<EventStore, 'append' | 'readStream'>;
  dataDir: string;
  /** CSV text and the name to show in errors and record as the source (never an absolute host path). */
  csvText: string;
  csvName: string;
  images: ImageSource;
  /** Side of the stored square images (after cropping the field of view). */
  imageSize?: number;
  /** Default: derived from the content, so the same dataset imported twice is refused as a duplicate. */
  datasetId?: string;
  name?: string;
  metadata: CommandMetadata;
  onProgress?: (done: number, total: number) => void;
}

export interface ImportDatasetResult {
  datasetId: string;
  streamId: string;
  imageCount: number;
  streamVersion: number;
  positions: number[];
}

export class DatasetAlreadyImportedError extends Error {
  readonly code = 'DATASET_ALREADY_IMPORTED_CONFLICT';
  constructor(readonly datasetId: string) {
    super(`dataset ${datasetId} has already been imported; nothing was changed`);
  }
}

export const DEFAULT_IMAGE_SIZE = 256;

/**
 * All-or-nothing: every row is parsed and every image decoded before anything is recorded;
 * then one append writes DatasetImported and all ImageRegistered events in one transaction.
 * Image files are stored by content hash first; if the append fails they are unreferenced, not wrong.
 */
export async function importDataset(input: ImportDatasetInput): Promise<ImportDatasetResult> {
  const size = input.imageSize ?? DEFAULT_IMAGE_SIZE;
  const rows = parseDatasetCsv(input.csvText, input.csvName);

  const images = await prepareRowImages(rows, input.images, input.csvName, 'path', size, input.onProgress);
  const prepared = rows.map((row) => ({ row, ...images.get(row.path)! }));

  const contentHash = createHash('sha256').update(input.csvText);
  for (const p of prepared) contentHash.update(p.sha256);
  const datasetId = input.datasetId ?? contentHash.copy().digest('hex').slice(0, 16);
  if (!/^[A-Za-z0-9_.]{1,64}$/.test(datasetId)) {
    throw new IngestError(input.csvName, `dataset id '${datasetId}' must be 1–64 letters, digits, '_' or '.'`);
  }
  const streamId = streams.dataset(datasetId);
  if ((await input.store.readStream(streamId, { toVersion: 1 })).length > 0) throw new DatasetAlreadyImportedError(datasetId);

  for (const p of prepared) await storeImage(input.dataDir, p.png);

  const metadata = eventMetadata({ metadata: input.metadata });
  const imported: DatasetImported = {
    type: 'DatasetImported',
    data: {
      datasetId,
      name: input.name ?? path.basename(input.csvName, path.extname(input.csvName)),
      source: input.csvName,
      sourceSha256: createHash('sha256').update(input.csvText).digest('hex'),
      imageCount: prepared.length,
    },
    metadata,
  };
  const registered: ImageRegistered[] = prepared.map((p) => ({
    type: 'ImageRegistered',
    data: {
      imageId: imageIdFor(p.sha256),
      datasetId,
      origin: 'real',
      sha256: p.sha256,
      width: p.width,
      height: p.height,
      modality: p.row.modality,
      caption: p.row.text,
      labels: p.row.labels,
    },
    metadata,
  }));
  const events: NewEvent[] = [imported, ...registered].map((e, i) => ({
    id: uuidFromName(`${streamId}/${i}`),
    type: e.type,
    data: e.data as unknown as NewEvent['data'],
    metadata: e.metadata as unknown as NewEvent['metadata'],
  }));
  const result = await input.store.append(streamId, events, 'no_stream');
  return { datasetId, streamId, imageCount: prepared.length, streamVersion: result.streamVersion, positions: result.positions };
}
