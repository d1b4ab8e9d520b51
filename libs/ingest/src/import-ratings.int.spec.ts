import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openPgliteEventStore, SqlEventStore } from '@forge/event-store';
import { folderSource } from './image-source';
import { importRatings } from './import-ratings';
import { DatasetAlreadyImportedError } from './import-dataset';
import { IngestErrors } from './errors';

const samples = path.resolve(__dirname, '../../../samples/phantom-mini/images');
const metadata = { actor: { kind: 'operator' as const, id: 'op-1' }, reason: 'MINIM ratings', correlationId: 'c-1', occurredAt: '2026-11-28T10:00:00.000Z' };

describe('importRatings (MINIM ratings CSV) on embedded PGlite', () => {
  let store: SqlEventStore;
  let dir: string;
  beforeAll(async () => {
    store = await openPgliteEventStore(undefined);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ratings-'));
    fs.copyFileSync(path.join(samples, 'phantom-00.png'), path.join(dir, 'g1.png'));
    fs.copyFileSync(path.join(samples, 'phantom-01.png'), path.join(dir, 'g2.png'));
  });
  afterAll(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const input = (csvText: string) => ({ store, dataDir: dir, csvText, csvName: 'ratings.csv', images: folderSource(dir, dir), imageSize: 64, metadata });

  it('records images once and one completed task per rating, all in one transaction', async () => {
    const csv = 'image_path,rating,modality,expert_level,prompt\ng1.png,3,fundus,senior,Normal fundus\ng1.png,2,fundus,junior,Normal fundus\ng2.png,1,fundus,senior,Glaucoma\n';
    const result = await importRatings(input(csv));
    expect(result).toMatchObject({ imageCount: 2, ratingCount: 3 });
    const all = await store.readAll();
    expect(all.map((e) => e.type).filter((t) => t === 'ImageRegistered')).toHaveLength(2);
    const ratings = all.filter((e) => e.type === 'RatingSubmitted').map((e) => e.data as { expertId: string; quality: number; alignment: number });
    expect(ratings.map((r) => [r.expertId, r.quality, r.alignment]).sort()).toEqual([
      ['minim-junior', 2, 2],
      ['minim-senior', 1, 1],
      ['minim-senior', 3, 3],
    ]);
    expect(all.filter((e) => e.type === 'LabelTaskCompleted')).toHaveLength(3);
    expect(new Set(all.map((e) => e.transactionId)).size).toBe(1);
    expect((await store.verify()).ok).toBe(true);
    await expect(importRatings(input(csv))).rejects.toBeInstanceOf(DatasetAlreadyImportedError);
  });

  it('refuses a file with a bad rating or a missing image, naming rows, and stores nothing', async () => {
    const before = (await store.readAll()).length;
    const csv = 'image_path,rating,modality,expert_level,prompt\ng2.png,5,fundus,senior,x\nmissing.png,2,fundus,senior,y\n';
    await expect(importRatings(input(csv))).rejects.toThrow(/row 1, field 'rating'/);
    const err = await importRatings(input('image_path,rating,modality,expert_level,prompt\nmissing.png,2,fundus,senior,y\ng2.png,2,fundus,bad level!,z\n')).catch((e) => e);
    expect(err).toBeInstanceOf(IngestErrors);
    expect(err.message).toMatch(/row 2, field 'expert_level'/);
    const missing = await importRatings(input('image_path,rating,modality,expert_level,prompt\nmissing.png,2,fundus,senior,y\n')).catch((e) => e);
    expect(missing.message).toMatch(/row 1, field 'path': image file 'missing\.png' does not exist/);
    expect((await store.readAll()).length).toBe(before);
  });
});
