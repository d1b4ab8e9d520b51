import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';
import { renderPhantom, MAX_SIZE, MIN_SIZE } from './render';
import { mixSeed } from './prng';
import { Phantom } from './types';

export interface PhantomDatasetOptions {
  count: number;
  size: number;
  seed: number;
  outDir: string;
  /** Encodes 8-bit RGB to PNG; defaults to sharp. */
  encodePng?: (rgb: Uint8ClampedArray, width: number, height: number) => Promise<Uint8Array>;
  onProgress?: (done: number, total: number) => void;
}

export const PHANTOM_CSV = 'phantoms.csv';
export const PHANTOM_CSV_HEADER = ['path', 'text', 'modality', 'diagnosis', 'grade', 'quality', 'findings', 'cdr', 'eye'];

export async function encodePngWithSharp(rgb: Uint8ClampedArray, width: number, height: number): Promise<Uint8Array> {
  return sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** Seed of the i-th image of a dataset, so any single image can be re-rendered on its own. */
export function phantomSeed(datasetSeed: number, index: number): number {
  return mixSeed(datasetSeed, index);
}

/** Writes `count` phantoms as PNG files under outDir/images and a MINIM-format CSV (paths relative to it). */
export async function writePhantomDataset(o: PhantomDatasetOptions): Promise<{ csvPath: string; rows: number }> {
  if (!Number.isInteger(o.count) || o.count < 1 || o.count > 1_000_000) throw new RangeError(`count must be an integer from 1 to 1000000, got ${o.count}`);
  if (!Number.isInteger(o.size) || o.size < MIN_SIZE || o.size > MAX_SIZE) throw new RangeError(`size must be an integer from ${MIN_SIZE} to ${MAX_SIZE}, got ${o.size}`);
  if (!Number.isInteger(o.seed)) throw new RangeError(`seed must be an integer, got ${o.seed}`);
  const encode = o.encodePng ?? encodePngWithSharp;
  await fs.mkdir(path.join(o.outDir, 'images'), { recursive: true });
  const lines = [PHANTOM_CSV_HEADER.join(',')];
  const digits = String(o.count - 1).length;
  for (let i = 0; i < o.count; i++) {
    const p = renderPhantom({ seed: phantomSeed(o.seed, i), size: o.size });
    const rel = `images/phantom-${String(i).padStart(digits, '0')}.png`;
    await fs.writeFile(path.join(o.outDir, rel), await encode(p.rgb, p.width, p.height));
    lines.push(csvRow(rel, p));
    o.onProgress?.(i + 1, o.count);
  }
  const csvPath = path.join(o.outDir, PHANTOM_CSV);
  await fs.writeFile(csvPath, lines.join('\n') + '\n');
  return { csvPath, rows: o.count };
}

function csvRow(rel: string, p: Phantom): string {
  const L = p.labels;
  return [rel, p.caption, 'fundus', L.diagnosis, L.grade, L.quality, L.findings.join(';'), L.cdr.toFixed(2), L.eye].map(csvCell).join(',');
}

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
