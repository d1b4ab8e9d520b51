// A writer for the crash test: appends 2,000-event batches to one stream until it is killed.
// Run as a child process: argv = [url, streamId]. Prints "appended <version>" after each commit.
import { randomUUID } from 'node:crypto';
import { openPostgresEventStore } from './postgres-event-store';

async function main(): Promise<void> {
  const [url, streamId] = process.argv.slice(2);
  const store = await openPostgresEventStore(url, { application_name: 'forge-crash-writer', max: 1 });
  const payload = { text: 'x'.repeat(200), values: [1, 2, 3] };
  for (;;) {
    const batch = Array.from({ length: 2000 }, (_, i) => ({ id: randomUUID(), type: 'Filler', data: { i, ...payload }, metadata: {} }));
    const r = await store.append(streamId, batch, 'any');
    process.stdout.write(`appended ${r.streamVersion}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(String(err?.stack ?? err) + '\n');
  process.exit(1);
});
