// INTERIM: MINIM ratings CSV import, used by the API only while @forge/ingest exports no
// `importRatings`. Rows `image_path,rating,modality,expert_level,prompt` with their images become:
//   dataset-<id>: DatasetImported + one ImageRegistered per distinct image (origin synthetic,
//                 caption = prompt), as importDataset records them;
//   task-<id> per row: LabelTaskCreated → LabelTaskAssigned → RatingSubmitted → LabelTaskCompleted
//                 by expert `minim-<expert_level>`, decided by the domain's label-task decider.
// MINIM has one rating per image–prompt pair, which it uses both as quality and as the alignment
// reward, so the rating is recorded on both axes.
// All or nothing: every row, image and decision is checked before the first append; the appends
// then only fail on infrastructure errors (one stream per transaction is all the store offers).
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import {
  CURRENT_SCHEMA_VERSION,
  eventMetadata,
  labelTaskDecider,
  streams,
  type CommandMetadata,
  type LabelTaskCommand,
  type LabelTaskEvent,
  type LabelTaskState,
} from '@forge/domain';
import { ImageDecodeError, prepareImage, storeImage } from '@forge/imaging';
import { DatasetAlreadyImportedError, DEFAULT_IMAGE_SIZE, imageIdFor, IngestError, IngestErrors, parseRatingsCsv, uuidFromName, type ImageSource } from '@forge/ingest';
import type { EventStore, NewEvent } from '../store/port';

export interface ImportRatingsInput {
  store: EventStore;
  dataDir: string;
  csvText: string;
  csvName: string;
  images: ImageSource;
  metadata: CommandMetadata;
}

export interface ImportRatingsResult {
  datasetId: string;
  streamId: string;
  imageCount: number;
  ratingCount: number;
}

const EXPERT_LEVEL = /^[A-Za-z0-9_-]{1,40}$/;

export async function interimImportRatings(input: ImportRatingsInput): Promise<ImportRatingsResult> {
  const rows = parseRatingsCsv(input.csvText, input.csvName);
  const problems: IngestError[] = [];
  const byPath = new Map<string, { png: Buffer; sha256: string; width: number; height: number; prompt: string; modality: string }>();
  for (const row of rows) {
    if (!EXPERT_LEVEL.test(row.expertLevel)) problems.push(new IngestError(input.csvName, `expert level '${row.expertLevel.slice(0, 40)}' must be letters, digits, - or _`, row.row, 'expert_level'));
    if (byPath.has(row.imagePath)) continue;
    try {
      const bytes = await input.images.read(row.imagePath, input.csvName, row.row);
      const p = await prepareImage(bytes, row.imagePath, { size: DEFAULT_IMAGE_SIZE });
      byPath.set(row.imagePath, { png: p.png, sha256: p.sha256, width: p.image.width, height: p.image.height, prompt: row.prompt, modality: row.modality });
    } catch (err) {
      if (err instanceof IngestError) problems.push(err);
      else if (err instanceof ImageDecodeError) problems.push(new IngestError(input.csvName, err.message, row.row, 'image_path'));
      else throw err;
    }
  }
  if (problems.length) throw new IngestErrors(problems);

  const digest = createHash('sha256').update('minim-ratings\n').update(input.csvText);
  for (const img of byPath.values()) digest.update(img.sha256);
  const datasetId = digest.digest('hex').slice(0, 16);
  const datasetStream = streams.dataset(datasetId);
  if ((await input.store.readStream(datasetStream, { toVersion: 1 })).length > 0) throw new DatasetAlreadyImportedError(datasetId);

  const metadata = { ...eventMetadata({ metadata: input.metadata }), schemaVersion: CURRENT_SCHEMA_VERSION };
  const images = [...byPath.values()];
  const datasetEvents = [
    { type: 'DatasetImported', data: { datasetId, name: path.basename(input.csvName, path.extname(input.csvName)), source: input.csvName, sourceSha256: createHash('sha256').update(input.csvText).digest('hex'), imageCount: images.length } },
    ...images.map((img) => ({
      type: 'ImageRegistered',
      data: { imageId: imageIdFor(img.sha256), datasetId, origin: 'synthetic', sha256: img.sha256, width: img.width, height: img.height, modality: img.modality, caption: img.prompt, labels: {} },
    })),
  ];

  // Decide every task first: a refusal here stops the import before anything is stored.
  const leaseUntil = new Date(Date.parse(metadata.occurredAt) + 60_000).toISOString();
  const taskBatches = rows.map((row) => {
    const taskId = uuidFromName(`${datasetStream}/rating/${row.row}`);
    const imageId = imageIdFor(byPath.get(row.imagePath)!.sha256);
    const expertId = `minim-${row.expertLevel}`;
    const commands: LabelTaskCommand[] = [
      { type: 'CreateLabelTask', data: { taskId, imageId, reason: 'random', priority: 0, ratersWanted: 1, raterCap: 1 }, metadata: input.metadata },
      { type: 'AssignLabelTask', data: { taskId, expertId, leaseUntil }, metadata: input.metadata },
      { type: 'SubmitRating', data: { taskId, expertId, quality: row.rating, alignment: row.rating, flags: [], comment: '', msSpent: 0 }, metadata: input.metadata },
    ];
    let state: LabelTaskState = labelTaskDecider.initialState();
    const events: LabelTaskEvent[] = [];
    for (const c of commands) {
      const produced = labelTaskDecider.decide(c, state);
      produced.forEach((e) => (state = labelTaskDecider.evolve(state, e)));
      events.push(...produced);
    }
    return { streamId: streams.task(taskId), events };
  });

  await Promise.all(images.map((img) => storeImage(input.dataDir, img.png)));
  const asNew = (streamId: string, list: { type: string; data: object }[]): NewEvent[] =>
    list.map((e, i) => ({ id: uuidFromName(`${streamId}/${i}`), type: e.type, data: e.data as NewEvent['data'], metadata: metadata as unknown as NewEvent['metadata'] }));
  await input.store.append(datasetStream, asNew(datasetStream, datasetEvents), 'no_stream');
  for (const t of taskBatches) await input.store.append(t.streamId, asNew(t.streamId, t.events), 'no_stream');
  return { datasetId, streamId: datasetStream, imageCount: images.length, ratingCount: rows.length };
}
