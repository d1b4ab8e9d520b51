import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { encodePng, rgbImage } from '@forge/imaging';

interface PhantomOptions {
  count?: string;
  size?: string;
  out?: string;
  seed: string;
}

function invalid(message: string): Error {
  return Object.assign(new Error(message), { code: 'INVALID_ARGUMENT' });
}

function integer(value: string | undefined, flag: string, min: number, max: number): number {
  if (value === undefined) throw invalid(`${flag} is required`);
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) throw invalid(`${flag} must be an integer from ${min} to ${max}, got '${value}'`);
  return n;
}

export function register(program: Command): void {
  program
    .command('phantom')
    .description('write procedural fundus phantoms (PNG) and a MINIM-format CSV with captions and true labels')
    .option('--count <n>', 'number of images')
    .option('--size <px>', 'image side in pixels (32–512)')
    .option('--out <dir>', 'output folder (created; must not already hold a phantom CSV)')
    .option('--seed <k>', 'dataset seed: the same seed writes the same images', '0')
    .action(async (opts: PhantomOptions) => {
      // Loaded on use: every forge command pays for what main.ts imports at start-up.
      const { MAX_SIZE, MIN_SIZE, PHANTOM_CSV, writePhantomDataset } = await import('@forge/phantom');
      const count = integer(opts.count, '--count', 1, 1_000_000);
      const size = integer(opts.size, '--size', MIN_SIZE, MAX_SIZE);
      const seed = integer(opts.seed, '--seed', 0, 2 ** 32 - 1);
      if (!opts.out) throw invalid('--out is required');
      const outDir = path.resolve(opts.out);
      if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) throw invalid(`--out ${outDir} exists and is not a folder`);
      if (fs.existsSync(path.join(outDir, PHANTOM_CSV))) {
        throw Object.assign(new Error(`${path.join(outDir, PHANTOM_CSV)} already exists; choose another --out folder`), { code: 'CONFLICT' });
      }

      const bar = new SingleBar({ stream: process.stderr, format: 'phantoms [{bar}] {value}/{total}  {eta_formatted}', hideCursor: true, clearOnComplete: true });
      bar.start(count, 0);
      let result;
      try {
        result = await writePhantomDataset({
          count,
          size,
          seed,
          outDir,
          encodePng: (rgb, width, height) => encodePng(rgbImage(width, height, new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.byteLength))),
          onProgress: (done) => bar.update(done),
        });
      } finally {
        bar.stop();
      }
      process.stdout.write(`${result.rows} phantoms of ${size}×${size} px → ${result.csvPath}\n`);
    });
}
