import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { EventStore, NewEvent, StreamBatch } from '@forge/event-store';
import {
  CommandMetadata,
  eventMetadata,
  foldState,
  labelTaskDecider,
  LabelTaskCommand,
  LabelTaskEvent,
  streams,
} from '@forge/domain';
import { storeImage } from '@forge/imaging';
import { IngestError, IngestErrors } from './errors';
import { ImageSource } from './image-source';
import { imageIdFor, uuidFromName } from './ids';
import { DatasetAlreadyImportedError, DEFAULT_IMAGE_SIZE } from './import-dataset';
import { prepareRowImages } from './prepare-images';
import { parseRatingsCsv } from './ratings-csv';

export interface ImportRatingsInput {
  store: Pick<EventStore, 'appendToStreams' | 'readStream'>;
  dataDir: string;
  csvText: string;
  csvName: string;
  images: ImageSource;
  imageSize?: number;
  metadata: CommandMetadata;
  onProgress?: (done: number, total: number) => void;
}

export interface ImportRatingsResult {
  datasetId: string;
  streamId: string;
  imageCount: number;
  ratingCount: number;
}

const EXPERT_LEVEL = /^[A-Za-z0-9_-]{1,40}$/;

/**
 * MINIM's ratings CSV (`image_path,rating,modality,expert_level,prompt`) as the record would have it:
 *   dataset-<id>  DatasetImported + ImageRegistered (origin synthetic, caption = prompt) per distinct image;
 *   task-<id>     per row: LabelTaskCreated → LabelTaskAssigned → RatingSubmitted → LabelTaskCompleted,
 *                 decided by the label-task decider, by expert `minim-<expert_level>`.
 * MINIM has one rating per image–prompt pair and uses it both as quality and as the alignment reward,
 * so it is recorded on both axes. Everything is checked first, then ONE multi-stream append stores it all.
 */
export async function importRatings(input: ImportRatingsInput): Promise<ImportRatingsResult> {
  const rows = parseRatingsCsv(input.csvText, input.csvName);
  const bad = rows
    .filter((r) => !EXPERT_LEVEL.test(r.expertLevel))
    .map((r) => new IngestError(input.csvName, `expert level '${r.expertLevel.slice(0, 40)}' must be letters, digits, - or _`, r.row, 'expert_level'));
  if (bad.length) throw new IngestErrors(bad);
  const images = await prepareRowImages(
    rows.map((r) => ({ row: r.row, path: r.imagePath })),
    input.images,
    input.csvName,
    'image_path',
    input.imageSize ?? DEFAULT_IMAGE_SIZE,
    input.onProgress,
  );

  const digest = createHash('sha256').update('minim-ratings\n').update(input.csvText);
  for (const img of images.values()) digest.update(img.sha256);
  const datasetId = digest.digest('hex').slice(0, 16);
  const datasetStream = streams.dataset(datasetId);
  if ((await input.store.readStream(datasetStream, { toVersion: 1 })).length > 0) throw new DatasetAlreadyImportedError(datasetId);

  const firstRowOf = new Map<string, (typeof rows)[number]>();
  for (const r of rows) if (!firstRowOf.has(r.imagePath)) firstRowOf.set(r.imagePath, r);
  const datasetEvents = [
    {
      type: 'DatasetImported',
      data: {
        datasetId,
        name: path.basename(input.csvName, path.extname(input.csvName)),
        source: input.csvName,
        sourceSha256: createHash('sha256').update(input.csvText).digest('hex'),
        imageCount: images.size,
      },
    },
    ...[...images.entries()].map(([imagePath, img]) => ({
      type: 'ImageRegistered',
      data: {
        imageId: imageIdFor(img.sha256),
        datasetId,
        origin: 'synthetic',
        sha256: img.sha256,
        width: img.width,
        height: img.height,
        modality: firstRowOf.get(imagePath)!.modality,
        caption: firstRowOf.get(imagePath)!.prompt,
        labels: {},
      },
    })),
  ];

  // The decider refuses anything the record could not hold (e.g. a rating outside 1..3) before a byte is stored.
  const leaseUntil = new Date(Date.parse(input.metadata.occurredAt) + 60_000).toISOString();
  const taskBatches = rows.map((row) => {
    const taskId = uuidFromName(`${datasetStream}/rating/${row.row}`);
    const imageId = imageIdFor(images.get(row.imagePath)!.sha256);
    const expertId = `minim-${row.expertLevel}`;
    const commands: LabelTaskCommand[] = [
      { type: 'CreateLabelTask', data: { taskId, imageId, reason: 'random', priority: 0, ratersWanted: 1, raterCap: 1 }, metadata: input.metadata },
      { type: 'AssignLabelTask', data: { taskId, expertId, leaseUntil }, metadata: input.metadata },
      { type: 'SubmitRating', data: { taskId, expertId, quality: row.rating, alignment: row.rating, flags: [], comment: '', msSpent: 0 }, metadata: input.metadata },
    ];
    const events: LabelTaskEvent[] = [];
    for (const c of commands) events.push(...labelTaskDecider.decide(c, foldState(labelTaskDecider, events)));
    return { streamId: streams.task(taskId), events };
  });

  for (const img of images.values()) await storeImage(input.dataDir, img.png);
  const metadata = eventMetadata({ metadata: input.metadata }) as unknown as NewEvent['metadata'];
  const asNew = (streamId: string, list: { type: string; data: object }[]): NewEvent[] =>
    list.map((e, i) => ({ id: uuidFromName(`${streamId}/${i}`), type: e.type, data: e.data as NewEvent['data'], metadata }));
  const batches: StreamBatch[] = [
    { streamId: datasetStream, events: asNew(datasetStream, datasetEvents), expectedVersion: 'no_stream' },
    ...taskBatches.map((t) => ({ streamId: t.streamId, events: asNew(t.streamId, t.events), expectedVersion: 'no_stream' as const })),
  ];
  await input.store.appendToStreams(batches);
  return { datasetId, streamId: datasetStream, imageCount: images.size, ratingCount: rows.length };
}
