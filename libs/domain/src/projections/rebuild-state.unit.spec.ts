import type { DomainEvent } from '../events';
import { datasetDecider, type ImageRegistration } from '../dataset/dataset.decider';
import { imageDecider } from '../image/image.decider';
import { labelTaskDecider, type LabelTaskCommand } from '../label-task/label-task.decider';
import { modelVersionDecider, type ModelVersionCommand } from '../model-version/model-version.decider';
import { userDecider } from '../user/user.decider';
import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/errors';
import type { AnyRecordedEvent } from '../shared/recorded';
import { streams } from '../shared/streams';
import { eventLog } from '../testing/event-log';
import { at } from '../testing/fixtures';
import { rebuildState, rebuildStateJson } from './rebuild-state';
import { eventProblem } from '../events/event-shapes';

/** Small deterministic generator (mulberry32), so the log is the same on every run. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (n: number) => n.toString(16).padStart(64, '0');
const minute = (m: number) => new Date(Date.parse('2026-01-01T10:00:00.000Z') + m * 60_000).toISOString();

/** A realistic log made by the deciders: import, scores, tasks, ratings (one undone), model versions, users. */
function buildLog(images: number, seed = 7) {
  const rnd = random(seed);
  const log = eventLog();
  const handle = <S, C, E extends DomainEvent>(decider: Decider<S, C, E>, streamId: string, command: C) => {
    const state = log.stream(streamId).reduce((s, e) => decider.evolve(s, e as unknown as E), decider.initialState());
    log.append(streamId, decider.decide(command, state));
  };
  const registrations: ImageRegistration[] = Array.from({ length: images }, (_, i) => ({
    imageId: `i${i}`,
    origin: 'real',
    sha256: hex(i + 1),
    width: 64,
    height: 64,
    modality: 'fundus',
    caption: `image ${i}`,
    labels: { grade: i % 5 },
  }));
  handle(datasetDecider, streams.dataset('d1'), { type: 'ImportDataset', data: { datasetId: 'd1', name: 'demo', source: 'demo.csv', sourceSha256: hex(0), images: registrations }, metadata: at(minute(0)) });
  handle(userDecider, streams.user('u1'), { type: 'RegisterUser', data: { userId: 'u1', username: 'grader', roles: ['expert'], passwordHash: 'scrypt$secret' }, metadata: at(minute(0)) });
  const model = (command: ModelVersionCommand) => handle(modelVersionDecider, streams.model('selector'), command);
  model({ type: 'RegisterCandidate', data: { model: 'selector', version: 'v1', runId: null, parentVersion: null, sha256: hex(9001), metrics: { mae: 0.4 } }, metadata: at(minute(1)) });
  const experts = ['e1', 'e2', 'e3'];
  for (let i = 0; i < images; i++) {
    const t = 2 + i;
    handle(imageDecider, streams.image(`i${i}`), { type: 'RecordSelectorScore', data: { imageId: `i${i}`, selectorVersion: 'v1', score: Math.round(rnd() * 1000) / 1000, uncertainty: 0.1 }, metadata: at(minute(t)) });
    const taskId = `t${i}`;
    const task = (command: LabelTaskCommand) => handle(labelTaskDecider, streams.task(taskId), command);
    task({ type: 'CreateLabelTask', data: { taskId, imageId: `i${i}`, reason: 'uncertain', priority: Math.floor(rnd() * 10), ratersWanted: 2 }, metadata: at(minute(t)) });
    for (const expertId of experts.slice(0, 2)) {
      task({ type: 'AssignLabelTask', data: { taskId, expertId, leaseUntil: minute(t + 30) }, metadata: at(minute(t)) });
      const grade = 1 + Math.floor(rnd() * 3);
      task({ type: 'SubmitRating', data: { taskId, expertId, quality: grade, alignment: 2, flags: [], comment: '', msSpent: 2000 }, metadata: at(minute(t + 1), { kind: 'expert', id: expertId }) });
    }
    if (i === Math.floor(images / 2)) {
      task({ type: 'RetractRating', data: { taskId, expertId: 'e1', leaseUntil: minute(t + 40) }, metadata: at(minute(t + 2)) });
    }
  }
  model({ type: 'RecordEvaluation', data: { model: 'selector', version: 'v1', metrics: { ece: 0.04 }, passed: true, notes: '' }, metadata: at(minute(images + 5)) });
  model({ type: 'PromoteVersion', data: { model: 'selector', version: 'v1' }, metadata: at(minute(images + 6)) });
  return log.events;
}

/** The same events with every object's keys inserted in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]));
}

describe('rebuildState', () => {
  const events = buildLog(40);
  const middle = events[Math.floor(events.length / 2)].position;

  it('gives byte-identical output when rebuilt twice, whatever the key order of the input', () => {
    const first = rebuildStateJson(events);
    const second = rebuildStateJson(events);
    expect(second).toBe(first);
    expect(rebuildStateJson(events.map(reverseKeys) as AnyRecordedEvent[])).toBe(first);
    const state = JSON.parse(first);
    expect(Object.keys(state.images)).toHaveLength(40);
    expect(state.modelVersions.selector.promoted).toBe('v1');
    expect(state.audit.events).toBe(events.length);
    expect(first).not.toContain('scrypt$secret');
    expect(state.users.u1).toMatchObject({ username: 'grader', roles: ['expert'] });
  });

  it('as of a past position differs from now and equals the rebuild of that prefix', () => {
    const now = rebuildStateJson(events);
    const past = rebuildStateJson(events, { asOfPosition: middle });
    expect(past).not.toBe(now);
    const prefix = events.filter((e) => e.position <= middle);
    expect(rebuildStateJson(prefix, { asOfPosition: middle })).toBe(past);
    const { asOf: _pastBounds, ...pastState } = rebuildState(events, { asOfPosition: middle });
    const { asOf: _prefixBounds, ...prefixState } = rebuildState(prefix);
    expect(pastState).toEqual(prefixState);
    expect(rebuildState(events, { asOfPosition: middle }).asOf).toMatchObject({ lastPosition: middle, events: prefix.length });
    // the model was promoted at the very end: not yet in the past state
    expect(JSON.parse(past).modelVersions.selector.promoted).toBeNull();
  });

  it('is made of events that pass the outside-event checks (the deciders write valid events)', () => {
    expect(events.map((e) => eventProblem(e, `position ${e.position}`)).filter((p) => p !== null)).toEqual([]);
  });

  it('as of a time keeps the events recorded up to it', () => {
    const cut = events[middle - 1].recordedAt;
    const { asOf: _a, ...byTime } = rebuildState(events, { asOfTime: cut });
    const { asOf: _b, ...byPosition } = rebuildState(events, { asOfPosition: middle });
    expect(byTime).toEqual(byPosition);
    expect(rebuildState(events, { asOfTime: '2000-01-01T00:00:00Z' }).audit.events).toBe(0);
  });

  it('refuses bounds that are not a position or a time', () => {
    expect(() => rebuildState(events, { asOfPosition: -1 })).toThrow(DomainError);
    expect(() => rebuildState(events, { asOfTime: 'yesterday' })).toThrow('asOfTime');
  });

  it('counts events of unknown types in the audit summary without folding them', () => {
    const foreign: AnyRecordedEvent = { type: 'SomethingNew', data: {}, metadata: {}, streamId: 'loop-1', streamVersion: 1, position: 10_000, recordedAt: minute(999) };
    const state = rebuildState([...events, foreign]);
    expect(state.audit.byType.SomethingNew).toBe(1);
    expect(state.audit.streamsByCategory.loop).toBe(1);
    expect(state.audit.byActorKind.unknown).toBe(1);
  });

  it('stays linear: a log of about 25,000 events rebuilds in well under the test budget', () => {
    const big = buildLog(2500, 11);
    expect(big.length).toBeGreaterThan(20_000);
    const started = Date.now();
    const json = rebuildStateJson(big);
    const ms = Date.now() - started;
    expect(JSON.parse(json).audit.events).toBe(big.length);
    expect(ms).toBeLessThan(5000);
  });
});
