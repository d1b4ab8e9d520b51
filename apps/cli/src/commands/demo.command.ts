import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { rebuildState } from '@forge/domain';
import { DatasetAlreadyImportedError, folderSource, importDataset } from '@forge/ingest';
import { formatAuditSummary } from '../audit-report';
import { cliMetadata, withStore } from '../context';
import { progressBar } from '../progress';
import { collectEvents } from '../read-all';

const SAMPLE = path.resolve(__dirname, '../../../../samples/phantom-mini');

export function register(program: Command): void {
  program
    .command('demo')
    .description('on embedded defaults: import the shipped phantom dataset, verify and seal the record, print the audit summary')
    .action(async () => {
      const csvPath = path.join(SAMPLE, 'phantoms.csv');
      await withStore(async (store, config) => {
        process.stderr.write(`data folder: ${config.dataDir} (${config.databaseUrl ? 'PostgreSQL server' : 'embedded PGlite'})\n`);
        const bar = progressBar('importing samples/phantom-mini');
        try {
          const result = await importDataset({
            store,
            dataDir: config.dataDir,
            csvText: fs.readFileSync(csvPath, 'utf8'),
            csvName: 'samples/phantom-mini/phantoms.csv',
            images: folderSource(SAMPLE, SAMPLE),
            metadata: cliMetadata('demo: import the shipped phantom dataset'),
            onProgress: (d, t) => bar.update(d, t),
          });
          bar.stop();
          process.stdout.write(`imported dataset ${result.datasetId}: ${result.imageCount} images\n`);
        } catch (err) {
          bar.stop();
          if (!(err instanceof DatasetAlreadyImportedError)) throw err;
          process.stdout.write(`dataset ${err.datasetId} was imported by an earlier run; keeping it\n`);
        }
        const verify = await store.verify();
        if (verify.ok) {
          const seal = await store.seal();
          process.stdout.write(`sealed the record up to position ${seal.upToPosition}: ${seal.hash.slice(0, 16)}…\n\n`);
        }
        const state = rebuildState(await collectEvents(store));
        process.stdout.write(formatAuditSummary(state.audit, await store.verify()) + '\n');
        if (!verify.ok) process.exitCode = 3;
      });
    });
}
