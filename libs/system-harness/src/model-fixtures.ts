// Model versions written straight to the store through the domain's decider, as training would
// report them: the portal's model pages need versions long before a real training run exists.
import { randomUUID, createHash } from 'node:crypto';
import { CURRENT_SCHEMA_VERSION, modelVersionDecider, streams, type ModelVersionCommand, type ModelVersionState } from '@forge/domain';
import { openPostgresEventStore, type JsonObject } from '@forge/event-store';

export interface SelectorVersionFixture {
  version: string;
  /** When training reported it (ISO). */
  at: string;
  metrics: Record<string, number>;
  passed: boolean;
}

/** Registers and evaluates selector versions, in order, on the `model-selector` stream. */
export async function seedSelectorVersions(databaseUrl: string, versions: SelectorVersionFixture[]): Promise<void> {
  const store = await openPostgresEventStore(databaseUrl, { max: 1 });
  try {
    const stream = streams.model('selector');
    let state: ModelVersionState = modelVersionDecider.initialState();
    let expected: number | 'no_stream' = 'no_stream';
    let parent: string | null = null;
    for (const v of versions) {
      const metadata = { actor: { kind: 'system' as const, id: 'test-fixture' }, reason: 'test fixture', correlationId: randomUUID(), occurredAt: v.at };
      const sha256 = createHash('sha256').update(v.version).digest('hex');
      const commands: ModelVersionCommand[] = [
        { type: 'RegisterCandidate', data: { model: 'selector', version: v.version, runId: null, parentVersion: parent, sha256, metrics: v.metrics }, metadata },
        { type: 'RecordEvaluation', data: { model: 'selector', version: v.version, metrics: v.metrics, passed: v.passed, notes: 'test fixture' }, metadata },
      ];
      for (const command of commands) {
        const events = modelVersionDecider.decide(command, state);
        for (const e of events) state = modelVersionDecider.evolve(state, e);
        const result = await store.append(
          stream,
          events.map((e) => ({ id: randomUUID(), type: e.type, data: e.data as JsonObject, metadata: { ...metadata, schemaVersion: CURRENT_SCHEMA_VERSION } as JsonObject })),
          expected,
        );
        expected = result.streamVersion;
      }
      parent = v.version;
    }
  } finally {
    await store.close();
  }
}
