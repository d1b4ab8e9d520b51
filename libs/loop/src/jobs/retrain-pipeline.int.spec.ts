import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openEventStore, type RecordedEvent, type SqlEventStore } from '@forge/event-store';
import { streams } from '@forge/domain';
import { BullMqJobQueue, ensureMessagingSchema, KafkaBus, KafkaRelay, RETRAIN_JOB_NAMES, RetrainTrigger, runIdFor, type JobWorker } from '@forge/messaging';
import { freshDatabase, quietLogger, requireEnv, testKafka, uniqueName, uniqueTopicPrefix, waitUntil, waitVisible } from '@forge/messaging/src/testing/int-services';
import { initBackend } from '@forge/ml';
import { createPanel } from '@forge/phantom';
import { checkpointDir, hasCheckpoint } from '../checkpoints';
import { createLabelTasks, rateTasks } from '../labeling';
import { isValidation, runLoop } from '../loop';
import { LOOP_PRESETS } from '../presets';
import type { Recorder } from '../record';
import { renderWorld } from '../world';
import { versionOfRun, type TrainJobPayload } from './definitions';
import { readTrainingData } from './recorded-data';
import { startLoopWorker } from './worker';

// The distributed loop end to end on real services, tiny preset: expert ratings appended to the PostgreSQL
// event store → two Kafka relays (every message published twice) → the retrain-trigger consumer group →
// RetrainingTriggered (id = run id) and a BullMQ job with that id → the loop worker trains the selector.

jest.setTimeout(120_000);

const preset = LOOP_PRESETS.tiny;
/** Label tasks rated after the pipeline is up, one rating each: the ones that cross the threshold. */
const NEW_RATINGS = 4;

const ofType = (events: RecordedEvent[], type: string) => events.filter((e) => e.type === type);

describe('ratings → relay → Kafka → retrain trigger → BullMQ → loop worker (PostgreSQL, Kafka, Redis, tiny preset)', () => {
  let dataDir: string;
  let store: SqlEventStore;
  let drop: () => Promise<void>;
  let ratingsBefore: number;
  let headBefore: number;

  beforeAll(async () => {
    await initBackend({ threads: 1, log: () => undefined });
    const db = await freshDatabase('loop_retrain_pipeline');
    drop = db.drop;
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-retrain-pipeline-'));
    store = await openEventStore({ dataDir, databaseUrl: db.url });
    await ensureMessagingSchema(store);
    // The record a deployment has after its first round: phantom world, first ratings, selector-0 serving.
    await runLoop({ store, dataDir, preset, iterations: 0 });
    // The global log shows a transaction only once every older one on the server has ended (another test's
    // open transaction holds it back): wait for the loop's last event, generator-0's promotion, which
    // committed after every rating, before counting them.
    const generator = await store.readStream(streams.model('generator'));
    headBefore = generator[generator.length - 1].position;
    await waitVisible(store, 1, (e) => (e as RecordedEvent).position === headBefore, 60_000);
    ratingsBefore = ofType(await store.readAll({ limit: 100_000 }), 'RatingSubmitted').length;
  });

  afterAll(async () => {
    await store?.close();
    await drop?.();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('every Kafka message delivered twice, then a third time to a restarted consumer: one trigger, one job, one TrainingCompleted, one new selector version', async () => {
    // The threshold is crossed by the last of the new ratings, once every rating has been counted once.
    const threshold = ratingsBefore + NEW_RATINGS;
    const kafka = testKafka('retrain-pipeline');
    const topicPrefix = uniqueTopicPrefix();
    const jobs = new BullMqJobQueue(requireEnv('FORGE_TEST_REDIS_URL'), { prefix: uniqueName('retrain-pipeline'), backoffMs: 50, logger: quietLogger });
    const bus = new KafkaBus(kafka, store, { topicPrefix, logger: quietLogger });
    const relays = ['relay-a', 'relay-b'].map((name) => new KafkaRelay(store, store, kafka, { name, topicPrefix, logger: quietLogger }));
    const lines: string[] = [];
    let worker: JobWorker | undefined;
    try {
      worker = await startLoopWorker(jobs, { store, dataDir, preset, checkpointEvery: 10, log: (l) => lines.push(l) });
      // A consumer group of its own: a group id shared with another run on the broker would share its partitions.
      const triggerName = uniqueName('retrain-trigger');
      const trigger = new RetrainTrigger(store, store, jobs, { name: triggerName, thresholds: { selector: threshold }, logger: quietLogger });
      await trigger.ensureSchema();
      for (const r of relays) await r.start();
      let consumer = await bus.start(trigger.consumer());

      // Experts (the simulated panel) rate new images while everything runs.
      const recorder: Recorder = { store, correlationId: uniqueName('ratings'), now: () => new Date() };
      const world = await renderWorld(preset, dataDir);
      const tasks = await createLabelTasks(recorder, {
        round: 'pipeline-test',
        candidates: world.train.slice(0, NEW_RATINGS).map((r) => ({ imageId: r.imageId, pixels: r.pixels, caption: r.caption, truth: { quality: r.labels.quality, captionMatches: true } })),
        gold: [],
        budget: 0,
        ratingsSoFar: 0,
        ratersPerTask: 1,
        raterCap: preset.panel.raters.length,
        all: true,
      });
      const rated = await rateTasks(recorder, createPanel(preset.panel), tasks);
      expect(rated.reduce((s, r) => s + r.ratings, 0)).toBe(NEW_RATINGS);
      const lastRating = Math.max(...rated.map((r) => r.position));
      const runId = runIdFor('selector', lastRating);
      const payload: TrainJobPayload = { runId, model: 'selector', upToPosition: lastRating, newRatings: threshold };

      // The trigger's job, enqueued under the run id, is trained by the worker.
      await waitUntil('the train-selector job', async () => (await jobs.getJob(RETRAIN_JOB_NAMES.selector, runId)) !== undefined, 60_000);
      const done = await jobs.waitFor(RETRAIN_JOB_NAMES.selector, runId, 60_000);
      expect(done).toMatchObject({ state: 'completed', payload, attempts: 1, result: { runId, version: versionOfRun('selector', payload), trainedNow: true } });

      // Everything again: a third relay publishes the whole log once more to a restarted consumer group.
      for (const r of relays) await r.caughtUp();
      await consumer.caughtUp();
      await consumer.stop();
      const replay = new KafkaRelay(store, store, kafka, { name: 'relay-c', topicPrefix, logger: quietLogger });
      relays.push(replay);
      await replay.start();
      consumer = await bus.start(trigger.consumer());
      await replay.caughtUp();
      await consumer.caughtUp();
      await consumer.stop();

      // One crossing counted, one run and one job, all named by the run id.
      const { rows } = await store.transaction((tx) => tx.query<{ ratings_since_training: number; triggers: number }>(`select ratings_since_training, triggers from retrain_trigger_counter where model = 'selector'`));
      expect(rows).toEqual([{ ratings_since_training: 0, triggers: 1 }]);
      expect(await jobs.jobIds(RETRAIN_JOB_NAMES.selector)).toEqual([runId]);
      const run = await store.readStream(streams.run(runId));
      const triggered = ofType(run, 'RetrainingTriggered');
      expect(triggered).toHaveLength(1);
      expect(triggered[0]).toMatchObject({ id: runId, data: payload, metadata: { actor: { kind: 'system', id: triggerName } } });
      const runEnd = run[run.length - 1].position;
      await waitVisible(store, 1, (e) => (e as RecordedEvent).position === runEnd, 60_000);
      const later = ofType(await store.readAll({ limit: 100_000 }), 'RetrainingTriggered').filter((e) => e.position > headBefore);
      expect(later.map((e) => e.id)).toEqual([runId]);
      expect(ofType(run, 'TrainingStarted')).toHaveLength(1);
      const completed = ofType(run, 'TrainingCompleted');
      expect(completed).toHaveLength(1);
      expect(ofType(run, 'TrainingFailed')).toHaveLength(0);
      const version = versionOfRun('selector', payload);
      expect(completed[0].data).toMatchObject({ runId, model: 'selector', version, steps: preset.selector.retrainSteps });

      // It trained on the record up to the crossing (the new ratings included), from the serving selector-0.
      const training = (await readTrainingData(store, dataDir, lastRating)).rated.filter((r) => !isValidation(r));
      expect(training.some((r) => tasks.some((t) => t.taskId === r.taskId))).toBe(true);
      expect(ofType(run, 'TrainingStarted')[0].data).toMatchObject({ dataUpToPosition: lastRating, config: { images: training.length, parent: 'selector-0' } });
      const candidates = ofType(await store.readStream(streams.model('selector')), 'SelectorTrained').filter((e) => e.data.version === version);
      expect(candidates).toHaveLength(1);
      expect(candidates[0].data).toMatchObject({ runId, parentVersion: 'selector-0', sha256: completed[0].data.sha256 });
      expect(hasCheckpoint(checkpointDir(dataDir, 'selector', version))).toBe(true);
      expect(lines.filter((l) => l.includes(`: trained ${version}`))).toHaveLength(1);
    } finally {
      for (const r of relays) await r.stop();
      await bus.close();
      await worker?.close();
      await jobs.close();
    }
  });
});
