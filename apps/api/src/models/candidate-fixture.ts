// Test support: a selector version that has passed its evaluation, appended straight to the store
// (no training job is needed to exercise promotion and rejection over HTTP).
import { createHash } from 'node:crypto';
import { modelVersionDecider, streams } from '@forge/domain';
import { commandMetadata } from '../store/command-metadata';
import { decideAndAppend } from '../store/decide-and-append';
import type { EventStore } from '../store/port';

export async function evaluatedSelector(store: EventStore, version: string, metrics: Record<string, number> = { spearman: 0.6, ece: 0.05 }): Promise<string> {
  const stream = streams.model('selector');
  const sha256 = createHash('sha256').update(version).digest('hex');
  const metadata = commandMetadata('system', 'test fixture');
  await decideAndAppend(store, stream, modelVersionDecider, { type: 'RegisterCandidate', data: { model: 'selector', version, runId: null, parentVersion: null, sha256, metrics }, metadata });
  await decideAndAppend(store, stream, modelVersionDecider, { type: 'RecordEvaluation', data: { model: 'selector', version, metrics, passed: true, notes: 'fixture' }, metadata });
  return version;
}
