import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { folderSource, importDataset, importRatings, IngestError } from '@forge/ingest';
import { cliMetadata, withStore } from '../context';
import { progressBar } from '../progress';

export function register(program: Command): void {
  program
    .command('import')
    .description('import a dataset CSV (path,text,modality[,labels…]) and its images, or with --ratings a MINIM ratings CSV; all or nothing')
    .argument('<csv>', 'the dataset CSV; image paths are relative to it')
    .option('--dataset-id <id>', 'dataset id (default: derived from the content)')
    .option('--name <name>', 'a readable name (default: the file name)')
    .option('--size <px>', 'side of the stored square images', '256')
    .option('--ratings', "the CSV is MINIM's ratings file: image_path,rating,modality,expert_level,prompt")
    .option('--reason <text>', 'why, recorded with the events', 'dataset import')
    .action(async (csv: string, opts: { datasetId?: string; name?: string; size: string; reason: string; ratings?: boolean }) => {
      const csvPath = path.resolve(csv);
      if (!fs.existsSync(csvPath) || !fs.statSync(csvPath).isFile()) throw new IngestError(csv, 'file not found');
      const size = Number(opts.size);
      if (!Number.isInteger(size) || size < 16 || size > 2048) throw new IngestError(csv, `--size must be an integer 16..2048, got '${opts.size}'`);
      await withStore(async (store, config) => {
        const baseDir = path.dirname(csvPath);
        // The CLI user may import from anywhere they can read; the folder of the CSV is the root its images must stay in.
        const bar = progressBar('decoding images');
        try {
          if (opts.ratings) {
            const r = await importRatings({
              store,
              dataDir: config.dataDir,
              csvText: fs.readFileSync(csvPath, 'utf8'),
              csvName: path.basename(csvPath),
              images: folderSource(baseDir, baseDir),
              imageSize: size,
              metadata: cliMetadata(opts.reason),
              onProgress: (d, t) => bar.update(d, t),
            });
            bar.stop();
            process.stdout.write(`imported ${r.ratingCount} ratings of ${r.imageCount} images as dataset ${r.datasetId}\n`);
            return;
          }
          const result = await importDataset({
            store,
            dataDir: config.dataDir,
            csvText: fs.readFileSync(csvPath, 'utf8'),
            csvName: path.basename(csvPath),
            images: folderSource(baseDir, baseDir),
            imageSize: size,
            datasetId: opts.datasetId,
            name: opts.name,
            metadata: cliMetadata(opts.reason),
            onProgress: (d, t) => bar.update(d, t),
          });
          bar.stop();
          process.stdout.write(`imported dataset ${result.datasetId}: ${result.imageCount} images into ${result.streamId} (positions ${result.positions[0]}–${result.positions.at(-1)})\n`);
        } finally {
          bar.stop();
        }
      });
    });
}
