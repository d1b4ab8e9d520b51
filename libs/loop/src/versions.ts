import { modelVersionDecider, streams, type Metrics, type ModelKind, type RegisterCandidate } from '@forge/domain';
import { handle, loadState, Recorder, systemMetadata } from './record';

/** Candidate → evaluation → promoted or rejected, on `model-<kind>`; each call is a no-op when already recorded. */
export async function registerCandidate(recorder: Recorder, data: RegisterCandidate['data'], reason: string): Promise<void> {
  await handle(recorder, streams.model(data.model), modelVersionDecider, { type: 'RegisterCandidate', data, metadata: systemMetadata(recorder, reason) });
}

export async function versionStatus(recorder: Recorder, model: ModelKind, version: string): Promise<string | undefined> {
  const { state } = await loadState(recorder, streams.model(model), modelVersionDecider);
  return state.status === 'Active' ? state.versions[version]?.status : undefined;
}

/** Records the evaluation and the decision that follows from it (promote when passed, else reject with the reason). */
export async function decideVersion(recorder: Recorder, model: ModelKind, version: string, metrics: Metrics, passed: boolean, reason: string): Promise<boolean> {
  const stream = streams.model(model);
  const status = await versionStatus(recorder, model, version);
  if (status === 'Promoted' || status === 'Retired') return true;
  if (status === 'Rejected') return false;
  const clean = Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v)));
  if (status === 'Candidate') {
    await handle(recorder, stream, modelVersionDecider, { type: 'RecordEvaluation', data: { model, version, metrics: clean, passed, notes: reason }, metadata: systemMetadata(recorder, `evaluation of ${model} ${version}`) });
  }
  if (passed) await handle(recorder, stream, modelVersionDecider, { type: 'PromoteVersion', data: { model, version }, metadata: systemMetadata(recorder, reason) });
  else await handle(recorder, stream, modelVersionDecider, { type: 'RejectVersion', data: { model, version, reason }, metadata: systemMetadata(recorder, reason) });
  return passed;
}
