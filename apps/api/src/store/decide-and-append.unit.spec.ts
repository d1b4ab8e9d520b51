import { randomUUID } from 'node:crypto';
import { labelTaskDecider, streams, type CommandMetadata, type LabelTaskCommand, type LabelTaskState } from '@forge/domain';
import { openPgliteEventStore, type SqlEventStore } from '@forge/event-store';
import { AggregateCache } from './aggregate-cache';
import { decideAndAppend } from './decide-and-append';
import type { EventStore } from './port';

// A real event store (PGlite in memory); the wrapper only counts stream reads.
jest.setTimeout(30_000);

const meta = (): CommandMetadata => ({ actor: { kind: 'expert', id: 'e' }, reason: 'test', correlationId: randomUUID(), occurredAt: new Date().toISOString() });
const later = () => new Date(Date.now() + 3600_000).toISOString();
const rating = (taskId: string, expertId: string): LabelTaskCommand => ({
  type: 'SubmitRating',
  data: { taskId, expertId, quality: 2, alignment: 3, flags: [], comment: '', msSpent: 10 },
  metadata: meta(),
});

describe('decideAndAppend with a cache of folded states', () => {
  let raw: SqlEventStore;
  let store: EventStore;
  let reads: number;
  beforeAll(async () => {
    raw = await openPgliteEventStore(undefined);
    store = new Proxy(raw, {
      get(target, prop, receiver) {
        if (prop === 'readStream') return (...args: Parameters<EventStore['readStream']>) => (reads++, target.readStream(...args));
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  });
  afterAll(() => raw?.close());
  beforeEach(() => (reads = 0));

  const run = (command: LabelTaskCommand, cache?: AggregateCache<LabelTaskState>) => decideAndAppend(store, streams.task(command.data.taskId), labelTaskDecider, command, cache);
  /** A task with one lease for `expertId`, written without the cache (as another process would). */
  async function claimedTask(expertId: string, ratersWanted = 1): Promise<string> {
    const taskId = randomUUID();
    await run({ type: 'CreateLabelTask', data: { taskId, imageId: 'img', reason: 'random', priority: 0, ratersWanted }, metadata: meta() });
    await run({ type: 'AssignLabelTask', data: { taskId, expertId, leaseUntil: later() }, metadata: meta() });
    return taskId;
  }
  const types = async (taskId: string) => (await raw.readStream(streams.task(taskId))).map((e) => e.type);

  it('a command on a stream this process just wrote needs no read, and stores what the uncached path stores', async () => {
    const cache = new AggregateCache<LabelTaskState>();
    const taskId = randomUUID();
    await run({ type: 'CreateLabelTask', data: { taskId, imageId: 'img', reason: 'random', priority: 0, ratersWanted: 1 }, metadata: meta() }, cache);
    await run({ type: 'AssignLabelTask', data: { taskId, expertId: 'ann', leaseUntil: later() }, metadata: meta() }, cache);
    const result = await run(rating(taskId, 'ann'), cache);
    expect(reads).toBe(1); // only the create, on a stream nobody had seen
    expect(result.streamVersion).toBe(4);
    expect(await types(taskId)).toEqual(['LabelTaskCreated', 'LabelTaskAssigned', 'RatingSubmitted', 'LabelTaskCompleted']);
    expect((await raw.verify()).ok).toBe(true);
  });

  it('never stores a decision made on a stale state: another writer rated first, the repeat is refused on a fresh read', async () => {
    const cache = new AggregateCache<LabelTaskState>();
    const taskId = await claimedTask('ann');
    await run({ type: 'ReleaseExpiredLeases', data: { taskId }, metadata: meta() }, cache); // no change: the state is now kept
    await run(rating(taskId, 'ann')); // another process, no cache
    await expect(run(rating(taskId, 'ann'), cache)).rejects.toMatchObject({ code: 'TASK_ALREADY_COMPLETED' });
    expect(await types(taskId)).toEqual(['LabelTaskCreated', 'LabelTaskAssigned', 'RatingSubmitted', 'LabelTaskCompleted']);
  });

  it('never refuses on a stale state: the kept state says completed, another writer reopened the task, the rating is stored', async () => {
    const cache = new AggregateCache<LabelTaskState>();
    const taskId = await claimedTask('ann');
    await run(rating(taskId, 'ann'), cache);
    await run({ type: 'RetractRating', data: { taskId, expertId: 'ann', leaseUntil: later() }, metadata: meta() }); // another process
    const again = await run(rating(taskId, 'ann'), cache);
    expect(again.events.map((e) => e.type)).toEqual(['RatingSubmitted', 'LabelTaskCompleted']);
    expect(await types(taskId)).toEqual(['LabelTaskCreated', 'LabelTaskAssigned', 'RatingSubmitted', 'LabelTaskCompleted', 'RatingRetracted', 'LabelTaskAssigned', 'RatingSubmitted', 'LabelTaskCompleted']);
  });

  it('concurrent commands on one kept state: one is stored, the others end in a conflict (409), none twice', async () => {
    const cache = new AggregateCache<LabelTaskState>();
    const taskId = await claimedTask('ann');
    await run({ type: 'ReleaseExpiredLeases', data: { taskId }, metadata: meta() }, cache);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => run(rating(taskId, 'ann'), cache)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const codes = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code: string }).code] : []));
    expect(codes).toHaveLength(4);
    for (const code of codes) expect(['WRONG_EXPECTED_VERSION', 'TASK_ALREADY_COMPLETED', 'ALREADY_RATED']).toContain(code);
    expect((await types(taskId)).filter((t) => t === 'RatingSubmitted')).toHaveLength(1);
  });
});
