import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { parse } from 'csv-parse/sync';
import { PHANTOM_CSV_HEADER, writePhantomDataset } from './index';

describe('writePhantomDataset', () => {
  it('writes PNG files and a MINIM-format CSV with label columns and relative paths', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-ds-'));
    const progress: number[] = [];
    const { csvPath, rows } = await writePhantomDataset({ count: 5, size: 48, seed: 9, outDir: dir, onProgress: (d) => progress.push(d) });
    expect(rows).toBe(5);
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    const records = parse(fs.readFileSync(csvPath, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(records[0])).toEqual(PHANTOM_CSV_HEADER);
    expect(records).toHaveLength(5);
    for (const r of records) {
      const meta = await sharp(path.join(path.dirname(csvPath), r.path)).metadata();
      expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', 48, 48, 3]);
      expect(r.modality).toBe('fundus');
      expect(['1', '2', '3']).toContain(r.quality);
      expect(r.text.length).toBeGreaterThan(10);
    }
    await expect(writePhantomDataset({ count: 0, size: 48, seed: 1, outDir: dir })).rejects.toThrow(/count/);
  });
});
