// Model versions written straight to the store through the domain's decider, as training would
// report them: the portal's model pages need versions long before a real training run exists.
import { randomUUID, createHash } from 'node:crypto';
import { CURRENT_SCHEMA_VERSION, modelVersionDecider, streams, trainingRunDecider, type ModelVersionCommand, type ModelVersionState, type TrainingRunCommand, type TrainingRunState } from '@forge/domain';
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

export interface TrainingRunFixture {
  runId: string;
  model: 'selector' | 'policy' | 'generator';
  plannedSteps: number;
  /** Checkpoints saved so far, each with its step and loss. */
  checkpoints: { step: number; loss: number }[];
  /** A finished run names the version it produced. */
  completedVersion?: string;
}

/** A training run as the loop would record it: triggered, started, checkpoints, maybe completed. */
export async function seedTrainingRun(databaseUrl: string, run: TrainingRunFixture): Promise<void> {
  const store = await openPostgresEventStore(databaseUrl, { max: 1 });
  try {
    const metadata = () => ({ actor: { kind: 'system' as const, id: 'test-fixture' }, reason: 'test fixture', correlationId: randomUUID(), occurredAt: new Date().toISOString() });
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const commands: TrainingRunCommand[] = [
      { type: 'TriggerRetraining', data: { runId: run.runId, model: run.model, upToPosition: 10, newRatings: 10 }, metadata: metadata() },
      { type: 'StartTraining', data: { runId: run.runId, model: run.model, config: { steps: run.plannedSteps, preset: 'tiny' }, dataUpToPosition: 10, backend: 'cpu' }, metadata: metadata() },
      ...run.checkpoints.map((c): TrainingRunCommand => ({ type: 'SaveCheckpoint', data: { runId: run.runId, step: c.step, sha256: sha(`${run.runId}-${c.step}`), metrics: { loss: c.loss } }, metadata: metadata() })),
    ];
    if (run.completedVersion) {
      const last = run.checkpoints[run.checkpoints.length - 1];
      commands.push({ type: 'CompleteTraining', data: { runId: run.runId, version: run.completedVersion, sha256: sha(run.completedVersion), steps: run.plannedSteps, metrics: { loss: last?.loss ?? 0 } }, metadata: metadata() });
    }
    let state: TrainingRunState = trainingRunDecider.initialState();
    let expected: number | 'no_stream' = 'no_stream';
    for (const command of commands) {
      const events = trainingRunDecider.decide(command, state);
      for (const e of events) state = trainingRunDecider.evolve(state, e);
      if (events.length === 0) continue;
      const result = await store.append(
        streams.run(run.runId),
        events.map((e) => ({ id: randomUUID(), type: e.type, data: e.data as JsonObject, metadata: { ...command.metadata, schemaVersion: CURRENT_SCHEMA_VERSION } as JsonObject })),
        expected,
      );
      expected = result.streamVersion;
    }
  } finally {
    await store.close();
  }
}
