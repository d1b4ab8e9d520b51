import type { DomainEvent } from '../events';
import { datasetDecider } from '../dataset/dataset.decider';
import { imageDecider, type ImageCommand } from '../image/image.decider';
import { labelTaskDecider, type LabelTaskCommand } from '../label-task/label-task.decider';
import { modelVersionDecider, type ModelVersionCommand } from '../model-version/model-version.decider';
import type { Decider } from '../shared/decider';
import { streams } from '../shared/streams';
import { eventLog } from '../testing/event-log';
import { at, SHA_A, SHA_B, SHA_C } from '../testing/fixtures';
import { foldProjection } from './projection';
import { imagesListProjection, listImages } from './images-list.projection';
import { expertQueue, labelTasksProjection } from './label-tasks.projection';
import { ratingsByImageProjection, ratingsOfExpert } from './ratings.projection';
import { modelVersionsProjection } from './model-versions.projection';
import { addToAuditSummary, emptyAuditSummary } from './audit-summary';
import { signaturesProjection } from './signatures.projection';

const T = (minute: number) => `2026-01-01T10:${String(minute).padStart(2, '0')}:00.000Z`;

/** Runs commands through a decider against one stream of the log, as a handler would. */
function handle<S, C, E extends DomainEvent>(log: ReturnType<typeof eventLog>, decider: Decider<S, C, E>, streamId: string, command: C): void {
  const state = log.stream(streamId).reduce((s, e) => decider.evolve(s, e as unknown as E), decider.initialState());
  log.append(streamId, decider.decide(command, state));
}

function task(log: ReturnType<typeof eventLog>, command: LabelTaskCommand) {
  handle(log, labelTaskDecider, streams.task(command.data.taskId), command);
}

function createTask(log: ReturnType<typeof eventLog>, taskId: string, imageId: string, priority: number, ratersWanted = 1) {
  task(log, { type: 'CreateLabelTask', data: { taskId, imageId, reason: 'uncertain', priority, ratersWanted }, metadata: at(T(0)) });
}

function assign(log: ReturnType<typeof eventLog>, taskId: string, expertId: string, minute: number, leaseMinutes = 10) {
  task(log, { type: 'AssignLabelTask', data: { taskId, expertId, leaseUntil: T(minute + leaseMinutes) }, metadata: at(T(minute)) });
}

function rate(log: ReturnType<typeof eventLog>, taskId: string, expertId: string, quality: number, alignment: number, minute: number) {
  task(log, { type: 'SubmitRating', data: { taskId, expertId, quality, alignment, flags: [], comment: '', msSpent: 3000 }, metadata: at(T(minute), { kind: 'expert', id: expertId }) });
}

function importTwoImages(log: ReturnType<typeof eventLog>) {
  const image = (imageId: string, sha256: string) => ({ imageId, origin: 'real' as const, sha256, width: 64, height: 64, modality: 'fundus', caption: 'c', labels: {} });
  handle(log, datasetDecider, streams.dataset('d1'), {
    type: 'ImportDataset',
    data: { datasetId: 'd1', name: 'demo', source: 'demo.csv', sourceSha256: SHA_C, images: [image('i1', SHA_A), image('i2', SHA_B)] },
    metadata: at(T(0)),
  });
}

describe('images list projection', () => {
  it('shows each image with its latest scores, rating count and consensus', () => {
    const log = eventLog();
    importTwoImages(log);
    const score = (selectorVersion: string, value: number): ImageCommand => ({
      type: 'RecordSelectorScore',
      data: { imageId: 'i1', selectorVersion, score: value, uncertainty: 0.2 },
      metadata: at(T(1)),
    });
    handle(log, imageDecider, streams.image('i1'), score('s1', 0.4));
    handle(log, imageDecider, streams.image('i1'), score('s2', 0.9));
    createTask(log, 't1', 'i1', 1, 1);
    assign(log, 't1', 'e1', 2);
    rate(log, 't1', 'e1', 3, 2, 3);

    const images = foldProjection(imagesListProjection, log.events);
    expect(listImages(images).map((i) => i.imageId)).toEqual(['i1', 'i2']);
    expect(images.i1).toMatchObject({
      datasetId: 'd1',
      origin: 'real',
      selector: { version: 's2', score: 0.9 },
      ratingCount: 1,
      consensus: { quality: 3, alignment: 2, raters: 1 },
    });
    expect(images.i2).toMatchObject({ selector: null, ratingCount: 0, consensus: null });

    // undo of the rating that completed the task: the consensus no longer holds
    task(log, { type: 'RetractRating', data: { taskId: 't1', expertId: 'e1', leaseUntil: T(30) }, metadata: at(T(4)) });
    expect(foldProjection(imagesListProjection, log.events).i1).toMatchObject({ ratingCount: 0, consensus: null, consensusTaskId: null });
  });
});

describe('expert queue', () => {
  it('lists open tasks the expert may take, held ones first, then by priority', () => {
    const log = eventLog();
    createTask(log, 'low', 'i1', 1);
    createTask(log, 'high', 'i2', 9);
    createTask(log, 'mid', 'i3', 5);
    createTask(log, 'taken', 'i4', 8); // one rater wanted, leased by e2
    createTask(log, 'mine', 'i5', 0);
    createTask(log, 'rated', 'i6', 7, 2); // e1 already rated it
    assign(log, 'taken', 'e2', 1);
    assign(log, 'mine', 'e1', 1);
    assign(log, 'rated', 'e1', 1);
    rate(log, 'rated', 'e1', 2, 2, 2);

    const tasks = foldProjection(labelTasksProjection, log.events);
    const queue = expertQueue(tasks, 'e1', T(3));
    expect(queue.map((q) => q.taskId)).toEqual(['mine', 'high', 'mid', 'low']);
    expect(queue[0].leaseUntil).toBe(T(11));
    // by 10:20 every lease has ended: 'taken' is free for e1, and 'mine' is an ordinary open task
    const later = expertQueue(tasks, 'e1', T(20));
    expect(later.map((q) => q.taskId)).toEqual(['high', 'taken', 'mid', 'low', 'mine']);
    expect(later.every((q) => q.leaseUntil === null)).toBe(true);
    // e2 holds 'taken', and may still be the second rater of 'rated'
    expect(expertQueue(tasks, 'e2', T(3)).map((q) => q.taskId)).toEqual(['taken', 'high', 'rated', 'mid', 'low']);
    expect(expertQueue(tasks, 'e1', T(3), 2)).toHaveLength(2);
  });

  it('drops a task from every queue once completed', () => {
    const log = eventLog();
    createTask(log, 't1', 'i1', 1, 1);
    assign(log, 't1', 'e1', 1);
    rate(log, 't1', 'e1', 2, 2, 2);
    const tasks = foldProjection(labelTasksProjection, log.events);
    expect(tasks.t1.status).toBe('Completed');
    expect(expertQueue(tasks, 'e9', T(3))).toEqual([]);
  });
});

describe('ratings per image', () => {
  it('keeps standing ratings in order and removes retracted ones', () => {
    const log = eventLog();
    createTask(log, 't1', 'i1', 1, 3);
    assign(log, 't1', 'e1', 1);
    assign(log, 't1', 'e2', 1);
    rate(log, 't1', 'e1', 2, 3, 2);
    rate(log, 't1', 'e2', 1, 1, 3);
    task(log, { type: 'RetractRating', data: { taskId: 't1', expertId: 'e1', leaseUntil: T(30) }, metadata: at(T(4)) });
    rate(log, 't1', 'e1', 3, 3, 5);

    const byImage = foldProjection(ratingsByImageProjection, log.events);
    expect(byImage.i1.ratings.map((r) => [r.expertId, r.quality, r.alignment])).toEqual([
      ['e2', 1, 1],
      ['e1', 3, 3],
    ]);
    expect(ratingsOfExpert(byImage, 'e1').map((r) => r.quality)).toEqual([3]);
    expect(foldProjection(imagesListProjection, log.events).i1.ratingCount).toBe(2);
  });
});

describe('model versions projection', () => {
  it('shows versions with training and evaluation metrics, and one promoted', () => {
    const log = eventLog();
    const cmd = (command: ModelVersionCommand) => handle(log, modelVersionDecider, streams.model('selector'), command);
    const register = (version: string, sha256: string, parentVersion: string | null) =>
      cmd({ type: 'RegisterCandidate', data: { model: 'selector', version, runId: null, parentVersion, sha256, metrics: { mae: 0.3 } }, metadata: at(T(1)) });
    const evaluate = (version: string, passed: boolean) =>
      cmd({ type: 'RecordEvaluation', data: { model: 'selector', version, metrics: { ece: 0.05 }, passed, notes: 'held-out' }, metadata: at(T(2)) });
    register('v1', SHA_A, null);
    evaluate('v1', true);
    cmd({ type: 'PromoteVersion', data: { model: 'selector', version: 'v1' }, metadata: at(T(3)) });
    register('v2', SHA_B, 'v1');
    evaluate('v2', true);
    cmd({ type: 'PromoteVersion', data: { model: 'selector', version: 'v2' }, metadata: at(T(4)) });
    register('v3', SHA_C, 'v2');
    cmd({ type: 'RejectVersion', data: { model: 'selector', version: 'v3', reason: 'diverged' }, metadata: at(T(5)) });

    const doc = foldProjection(modelVersionsProjection, log.events).selector;
    expect(doc.promoted).toBe('v2');
    expect(Object.values(doc.versions).map((v) => [v.version, v.status])).toEqual([
      ['v1', 'Retired'],
      ['v2', 'Promoted'],
      ['v3', 'Rejected'],
    ]);
    expect(doc.versions.v2).toMatchObject({ parentVersion: 'v1', trainingMetrics: { mae: 0.3 }, evaluation: { metrics: { ece: 0.05 }, passed: true }, promotedAt: T(4) });
    expect(doc.versions.v3.rejectionReason).toBe('diverged');
  });
});

describe('audit summary', () => {
  it('counts events by type, stream category and actor, with the first and last event', () => {
    const log = eventLog();
    importTwoImages(log);
    createTask(log, 't1', 'i1', 1, 1);
    createTask(log, 't2', 'i2', 1, 1);
    assign(log, 't1', 'e1', 1);
    rate(log, 't1', 'e1', 2, 2, 2);
    const summary = log.events.reduce(addToAuditSummary, emptyAuditSummary());
    expect(summary).toEqual({
      events: 8,
      streams: 3,
      byType: { DatasetImported: 1, ImageRegistered: 2, LabelTaskCreated: 2, LabelTaskAssigned: 1, RatingSubmitted: 1, LabelTaskCompleted: 1 },
      eventsByCategory: { dataset: 3, task: 5 },
      streamsByCategory: { dataset: 1, task: 2 },
      byActorKind: { operator: 6, expert: 2 },
      first: { position: 1, recordedAt: log.events[0].recordedAt },
      last: { position: 8, recordedAt: log.events[7].recordedAt },
    });
  });
});

describe('signatures projection', () => {
  it('lists the signatures of each signed stream in order', () => {
    const log = eventLog();
    const sign = (signatureId: string, revision: number, meaning: 'review' | 'approval') =>
      log.append(streams.signature(signatureId), [
        { type: 'SignatureApplied', data: { signatureId, stream: 'model-selector', revision, hash: SHA_A, signer: 'u1', meaning }, metadata: { ...at(T(revision)), schemaVersion: 1 } },
      ]);
    sign('s1', 3, 'review');
    sign('s2', 4, 'approval');
    const doc = foldProjection(signaturesProjection, log.events)['model-selector'];
    expect(doc.signatures.map((s) => [s.signatureId, s.revision, s.meaning, s.signedAt])).toEqual([
      ['s1', 3, 'review', T(3)],
      ['s2', 4, 'approval', T(4)],
    ]);
  });
});
