import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openEventStore, type RecordedEvent, type SqlEventStore } from '@forge/event-store';
import { initBackend } from '@forge/ml';
import { loopStatus } from './history';
import { runLoop } from './loop';
import { LOOP_PRESETS } from './presets';
import { reportShapeProblems, writeReport } from './report';
import { renderWorld } from './world';

/** The types in `wanted`, in the order they first appear in `events`. */
function firstOccurrences(events: readonly RecordedEvent[], wanted: readonly string[]): string[] {
  const seen: string[] = [];
  for (const e of events) if (wanted.includes(e.type) && !seen.includes(e.type)) seen.push(e.type);
  return seen;
}

describe('the self-improvement loop (tiny preset, embedded store)', () => {
  let dir: string;
  let store: SqlEventStore;
  const preset = LOOP_PRESETS.tiny;

  beforeAll(async () => {
    await initBackend({ threads: 1, log: () => undefined });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-loop-'));
    store = await openEventStore({ dataDir: dir });
  });

  afterAll(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs one full iteration: events in order, a gate decision, checkpoints and a report of the published shape', async () => {
    const result = await runLoop({ store, dataDir: dir, preset, iterations: 1 });
    expect(result.stopped).toBe(false);
    expect(result.iterations.map((i) => i.generatorVersion)).toEqual(['generator-0', 'generator-1']);

    const events = await store.readAll();
    expect(firstOccurrences(events, ['DatasetImported', 'RetrainingTriggered', 'TrainingStarted', 'CheckpointSaved', 'TrainingCompleted', 'ImageGenerated', 'LabelTaskCreated', 'LabelTaskAssigned', 'RatingSubmitted', 'SelectorTrained', 'PolicyUpdated', 'SelectorScored', 'AlignmentScored'])).toEqual([
      'DatasetImported',
      'RetrainingTriggered',
      'TrainingStarted',
      'CheckpointSaved',
      'TrainingCompleted',
      'ImageGenerated',
      'LabelTaskCreated',
      'LabelTaskAssigned',
      'RatingSubmitted',
      'SelectorTrained',
      'PolicyUpdated',
      'SelectorScored',
      'AlignmentScored',
    ]);
    // Iteration 1, in order: generate → score → route → rate → retrain trigger → runs → candidate → evaluation → decision.
    const iteration = events.slice(events.findIndex((e) => e.type === 'ImageGenerated' && String(e.data.generatorVersion) === 'generator-0' && events.some((s) => s.type === 'SelectorScored' && s.data.imageId === e.data.imageId)));
    expect(firstOccurrences(iteration, ['ImageGenerated', 'SelectorScored', 'AlignmentScored', 'LabelTaskCreated', 'RatingSubmitted', 'RetrainingTriggered', 'TrainingCompleted', 'SelectorTrained', 'PolicyUpdated', 'GeneratorRefined', 'EvaluationCompleted'])).toEqual([
      'ImageGenerated',
      'SelectorScored',
      'AlignmentScored',
      'LabelTaskCreated',
      'RatingSubmitted',
      'RetrainingTriggered',
      'TrainingCompleted',
      'SelectorTrained',
      'EvaluationCompleted', // the selector's, before the policy is retrained
      'PolicyUpdated',
      'GeneratorRefined',
    ]);
    const created = events.filter((e) => e.type === 'LabelTaskCreated').map((e) => e.data.reason);
    expect(created).toEqual(expect.arrayContaining(['random', 'uncertain', 'gold']));
    expect(events.every((e) => (e.metadata as { actor: { kind: string } }).actor.kind === 'system' || e.type === 'LabelTaskAssigned' || e.type === 'RatingSubmitted' || e.type === 'LabelTaskCompleted' || e.type === 'LabelTaskRaterAdded')).toBe(true);
    expect(events.every((e) => typeof (e.metadata as { reason?: string }).reason === 'string')).toBe(true);

    const model = await store.readStream('model-generator');
    const decision = model.filter((e) => (e.type === 'ModelVersionPromoted' || e.type === 'ModelVersionRejected') && e.data.version === 'generator-1');
    expect(decision).toHaveLength(1);
    const evaluation = model.find((e) => e.type === 'EvaluationCompleted' && e.data.modelVersion === 'generator-1')!;
    expect(evaluation.data.passed).toBe(decision[0].type === 'ModelVersionPromoted');
    expect(Object.keys(evaluation.data.metrics as object)).toEqual(expect.arrayContaining(['judgeQuality', 'judgeMatch', 'fdFundus', 'kid']));
    for (const [kind, version] of [['generator', 'generator-1'], ['selector', 'selector-1'], ['policy', 'policy-1'], ['text-encoder', 'text-encoder-0'], ['fundus-encoder', 'fundus-encoder-0']]) {
      expect(fs.existsSync(path.join(dir, 'models', kind, version, 'manifest.json'))).toBe(true);
    }

    const out = path.join(dir, 'report');
    const world = await renderWorld(preset, dir);
    await writeReport(store, dir, out, world.heldOut.map((h) => h.pixels));
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(reportShapeProblems(report)).toEqual([]);
    expect(report.iterations.map((r: { generatorVersion: string }) => r.generatorVersion)).toEqual(['generator-0', 'generator-1']);
    expect(report.iterations[1].promoted).toBe(decision[0].type === 'ModelVersionPromoted');
    const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('iteration-1.png');
    expect(fs.existsSync(path.join(out, 'iteration-1.png'))).toBe(true);
    expect(reportShapeProblems({ iterations: [{ ...report.iterations[0], kid: 'x' }] })).toEqual(['report.json: iterations[0].kid is "x"']);
  }, 240_000);

  it('restarts without redoing a completed step, then continues with the next iteration', async () => {
    const count = async (type: string) => (await store.readAll()).filter((e) => e.type === type).length;
    const before = { completed: await count('TrainingCompleted'), generated: await count('ImageGenerated'), ratings: await count('RatingSubmitted'), all: (await store.readAll()).length };
    const again = await runLoop({ store, dataDir: dir, preset, iterations: 1 });
    expect(again.iterations.map((i) => i.generatorVersion)).toEqual(['generator-0', 'generator-1']);
    expect(await count('TrainingCompleted')).toBe(before.completed);
    expect((await store.readAll()).length).toBe(before.all);

    // Stop (as on SIGINT) once iteration 2 has generated its images; the restart must not generate them again.
    let stop = false;
    const progress = (label: string) => ({ update() {}, stop: () => void (stop ||= label === 'iteration 2: generating') });
    const stopped = await runLoop({ store, dataDir: dir, preset, iterations: 2, shouldStop: () => stop, progress });
    expect(stopped.stopped).toBe(true);
    expect(await count('ImageGenerated')).toBe(before.generated + preset.iteration.generated);
    expect(await count('TrainingCompleted')).toBe(before.completed);
    const next = await runLoop({ store, dataDir: dir, preset, iterations: 2 });
    expect(next.iterations.map((i) => i.generatorVersion)).toEqual(['generator-0', 'generator-1', 'generator-2']);
    expect(await count('TrainingCompleted')).toBe(before.completed + 3);
    expect(await count('ImageGenerated')).toBe(before.generated + preset.iteration.generated);
    expect(await loopStatus(store)).toMatch(/generator-2/);
  }, 240_000);
});
