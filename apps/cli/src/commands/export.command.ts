import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { Command } from 'commander';
import { canonicalJson } from '@forge/domain';
import type { RecordedEvent } from '@forge/event-store';
import { withStore } from '../context';
import { allEvents } from '../read-all';

export function register(program: Command): void {
  program
    .command('export')
    .description('write events as JSON lines with their chain hashes (evidence for auditors)')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--stream <id>', 'only this stream')
    .option('--type <type>', 'only events of this type')
    .action(async (opts: { out?: string; stream?: string; type?: string }) => {
      await withStore(async (store) => {
        const out = opts.out ? fs.createWriteStream(path.resolve(opts.out)) : process.stdout;
        const source: Iterable<RecordedEvent> | AsyncIterable<RecordedEvent> = opts.stream ? await store.readStream(opts.stream) : allEvents(store);
        let n = 0;
        for await (const e of source) {
          if (opts.type && e.type !== opts.type) continue;
          const line = canonicalJson({
            position: e.position,
            transactionId: e.transactionId,
            streamId: e.streamId,
            streamVersion: e.streamVersion,
            eventId: e.id,
            type: e.type,
            data: e.data,
            metadata: e.metadata,
            recordedAt: e.recordedAt,
            prevHash: e.prevHash,
            hash: e.hash,
          });
          if (!out.write(line + '\n')) await once(out, 'drain');
          n++;
        }
        if (opts.out) {
          (out as fs.WriteStream).end();
          await once(out, 'finish');
          process.stderr.write(`exported ${n} events to ${opts.out}\n`);
        }
      });
    });
}
