import { specification } from '../testing/specification';
import { at, SHA_A, SHA_B, SHA_C, written } from '../testing/fixtures';
import { datasetDecider, type ImageRegistration } from './dataset.decider';

const spec = specification(datasetDecider);
const T0 = '2026-01-01T10:00:00.000Z';
const image = (imageId: string, sha256: string): ImageRegistration => ({
  imageId,
  origin: 'real',
  sha256,
  width: 512,
  height: 512,
  modality: 'fundus',
  caption: 'mild NPDR',
  labels: { dr_grade: 1 },
});
const importCmd = (images: ImageRegistration[]) => ({
  type: 'ImportDataset' as const,
  data: { datasetId: 'd1', name: 'demo', source: 'demo.csv', sourceSha256: SHA_C, images },
  metadata: at(T0),
});

describe('dataset decider', () => {
  it('imports a dataset and registers its images in one append', () => {
    spec
      .given([])
      .when(importCmd([image('i1', SHA_A), image('i2', SHA_B)]))
      .then([
        { type: 'DatasetImported', data: { datasetId: 'd1', name: 'demo', source: 'demo.csv', sourceSha256: SHA_C, imageCount: 2 }, metadata: written(T0) },
        { type: 'ImageRegistered', data: { ...image('i1', SHA_A), datasetId: 'd1' }, metadata: written(T0) },
        { type: 'ImageRegistered', data: { ...image('i2', SHA_B), datasetId: 'd1' }, metadata: written(T0) },
      ]);
  });

  it('imports once only', () => {
    const history = datasetDecider.decide(importCmd([image('i1', SHA_A)]), datasetDecider.initialState());
    spec.given(history).when(importCmd([image('i9', SHA_B)])).thenThrows('DATASET_ALREADY_IMPORTED');
  });

  it('refuses an empty import, duplicate ids and bad image facts, naming the field', () => {
    spec.given([]).when(importCmd([])).thenThrows('INVALID_INPUT');
    spec.given([]).when(importCmd([image('i1', SHA_A), image('i1', SHA_B)])).thenThrows('INVALID_INPUT');
    const error = spec.given([]).when(importCmd([image('i1', SHA_A), { ...image('i2', SHA_B), width: 0 }])).thenThrows('INVALID_INPUT');
    expect(error.message).toContain('images[1].width');
    spec.given([]).when(importCmd([{ ...image('i1', 'not-a-hash') }])).thenThrows('INVALID_INPUT');
  });
});
