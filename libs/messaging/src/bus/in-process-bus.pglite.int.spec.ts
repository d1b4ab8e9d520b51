import { openPgliteEventStore, type SqlEventStore } from '@forge/event-store';
import { InProcessJobQueue } from '../jobs/in-process-queue';
import { runIdFor } from '../retrain/decide-trigger';
import { retrainJobDefinition } from '../retrain/retrain-jobs';
import { RetrainTrigger } from '../retrain/retrain-trigger';
import { openMessaging } from '../open-messaging';
import { ratingSubmitted } from '../testing/fixtures';
import { quietLogger } from '../testing/int-services';
import { InProcessBus } from './in-process-bus';

jest.setTimeout(60_000);

// Embedded mode end to end: PGlite event store, in-process bus, in-process jobs. No server needed.
describe('embedded mode on PGlite: in-process bus, retrain trigger, in-process jobs', () => {
  let store: SqlEventStore;

  beforeAll(async () => {
    store = await openPgliteEventStore(undefined);
  });

  afterAll(async () => {
    await store?.close();
  });

  it('triggers at every 4th rating in log order, once, and survives a consumer restart', async () => {
    for (let i = 0; i < 18; i++) await store.append(`task-p${i % 3}`, [ratingSubmitted(`p${i % 3}`, `e${i % 2}`)], 'any');
    // No KAFKA_BROKERS, no REDIS_URL: the configuration picks the in-process adapters.
    const { bus, jobs, relay, close } = await openMessaging(store, { logger: quietLogger });
    expect(bus).toBeInstanceOf(InProcessBus);
    expect(jobs).toBeInstanceOf(InProcessJobQueue);
    expect(relay).toBeUndefined();
    const ran: string[] = [];
    await jobs.process(retrainJobDefinition('selector'), async (job) => {
      ran.push(job.payload.runId);
      await job.reportProgress(100);
    });
    const trigger = new RetrainTrigger(store, store, jobs, { thresholds: { selector: 4 }, logger: quietLogger });
    await trigger.ensureSchema();
    const first = await bus.start(trigger.consumer());
    await first.caughtUp();
    await first.stop();
    // A restarted consumer starts from its stored checkpoint: nothing is counted twice.
    const second = await bus.start(trigger.consumer());
    await second.caughtUp();

    const ratings = (await store.readAll({ limit: 1000 })).filter((e) => e.type === 'RatingSubmitted');
    const expected = ratings.filter((_, i) => (i + 1) % 4 === 0).map((e) => runIdFor('selector', e.position));
    const triggered = (await store.readAll({ limit: 1000 })).filter((e) => e.type === 'RetrainingTriggered').map((e) => e.id);
    expect(triggered.sort()).toEqual([...expected].sort());
    for (const id of expected) await jobs.waitFor('train-selector', id, 5000);
    expect(ran.sort()).toEqual([...expected].sort());
    await close();
  });
});
