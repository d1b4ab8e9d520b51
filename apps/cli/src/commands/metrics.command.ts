import * as path from 'node:path';
import { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { comparisonSize, greyAtSize, listImageFiles, MeasuredSet, measureImageSet, pairStatistics, PairStatistics } from '@forge/imaging';
import { imageQualityNames, Summary } from '@forge/metrics';

interface MetricsOptions {
  json?: boolean;
  pairs: string;
  seed: string;
  size?: string;
  labels: string;
  skipBad?: boolean;
}

function invalid(message: string): Error {
  return Object.assign(new Error(message), { code: 'INVALID_ARGUMENT' });
}

function positiveInt(value: string, flag: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw invalid(`${flag} must be an integer ≥ ${min}, got '${value}'`);
  return n;
}

const fmt = (s: Summary) => (Number.isFinite(s.mean) ? `${s.mean.toFixed(4)} ± ${s.std.toFixed(4)}` : 'n/a');

export function register(program: Command): void {
  program
    .command('metrics')
    .description('five image-quality metrics per folder (mean ± std), SSIM between folders and MS-SSIM diversity within each')
    .argument('<dirA>', 'folder of images (PNG/JPEG/TIFF, searched recursively), e.g. real images')
    .argument('[dirB]', 'second folder, e.g. generated images, shown side by side')
    .option('--json', 'print one JSON object instead of the table')
    .option('--pairs <n>', 'random image pairs for SSIM / MS-SSIM', '200')
    .option('--seed <k>', 'seed for choosing the pairs', '0')
    .option('--size <px>', 'side images are resized to for SSIM (default: smallest side found, at most 256)')
    .option('--labels <a,b>', 'column names for the two folders', 'real,generated')
    .option('--skip-bad', 'skip files that cannot be decoded (listed on stderr) instead of failing')
    .action(async (dirA: string, dirB: string | undefined, opts: MetricsOptions) => {
      const pairs = positiveInt(opts.pairs, '--pairs');
      const seed = positiveInt(opts.seed, '--seed', 0);
      const labels = opts.labels.split(',').map((l) => l.trim());
      if (labels.length !== 2 || labels.some((l) => !l)) throw invalid(`--labels needs two comma-separated names, got '${opts.labels}'`);
      const dirs = dirB === undefined ? [dirA] : [dirA, dirB];

      const fileLists = await Promise.all(dirs.map((d) => listImageFiles(path.resolve(d))));
      fileLists.forEach((files, i) => {
        if (files.length === 0) throw Object.assign(new Error(`no PNG, JPEG or TIFF images in ${dirs[i]}`), { code: 'INVALID_INPUT' });
      });

      const total = fileLists.reduce((s, f) => s + f.length, 0);
      const bar = new SingleBar({ stream: process.stderr, format: 'measuring [{bar}] {value}/{total} images  {eta_formatted}', hideCursor: true, clearOnComplete: true });
      bar.start(total, 0);
      const measured: { set: MeasuredSet; images: Awaited<ReturnType<typeof measureImageSet>>['images'] }[] = [];
      try {
        for (let i = 0; i < dirs.length; i++) {
          measured.push(await measureImageSet(labels[i], fileLists[i], { skipBad: opts.skipBad, onImage: () => bar.increment() }));
        }
      } finally {
        bar.stop();
      }
      for (const { set } of measured) {
        for (const s of set.skipped) process.stderr.write(`forge: skipped ${s.file}: ${s.reason}\n`);
        if (set.files.length === 0) throw Object.assign(new Error(`no decodable images for '${set.name}'`), { code: 'INVALID_INPUT' });
      }

      const allImages = measured.flatMap((m) => m.images);
      const size = opts.size === undefined ? comparisonSize(allImages) : positiveInt(opts.size, '--size', 11);
      const greys = await Promise.all(measured.map((m) => greyAtSize(m.images, size)));
      const diversity = greys.map((g, i) => pairStatistics(g, undefined, pairs, seed + i + 1));
      const between: PairStatistics | undefined = greys.length === 2 ? pairStatistics(greys[0], greys[1], pairs, seed) : undefined;

      if (opts.json) {
        const out = {
          sets: measured.map(({ set }, i) => ({ label: set.name, dir: path.resolve(dirs[i]), count: set.files.length, skipped: set.skipped, metrics: set.summary, withinSet: diversity[i] ?? null })),
          between: between ?? null,
          comparisonSize: size,
        };
        process.stdout.write(JSON.stringify(out, null, 2) + '\n');
        return;
      }

      const header = ['metric', ...measured.map(({ set }, i) => `${set.name} (${path.basename(path.resolve(dirs[i]))}, n=${set.files.length})`)];
      const rows = imageQualityNames.map((name) => [name, ...measured.map(({ set }) => fmt(set.summary[name]))]);
      rows.push(['MS-SSIM within set', ...diversity.map((d) => (d ? fmt(d.msSsim) : 'n/a'))]);
      const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
      const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c])).join('   ').trimEnd();
      const lines = [line(header), widths.map((w) => '-'.repeat(w)).join('   '), ...rows.map(line)];
      const scales = (between ?? diversity.find(Boolean))?.scales;
      lines.push('', `SSIM/MS-SSIM on grey ${size}×${size} images, ${pairs} random pairs, MS-SSIM with ${scales ?? '-'} scale(s); within-set MS-SSIM: lower = more diverse`);
      if (between) lines.push(`between sets: SSIM ${fmt(between.ssim)}   MS-SSIM ${fmt(between.msSsim)}`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}
