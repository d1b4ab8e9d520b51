import type { LabelTaskEvent } from '../events';
import { specification } from '../testing/specification';
import { at, written } from '../testing/fixtures';
import { labelTaskDecider } from './label-task.decider';

const spec = specification(labelTaskDecider);
const T0 = '2026-01-01T10:00:00.000Z';
const T1 = '2026-01-01T10:05:00.000Z';
const LEASE = '2026-01-01T10:10:00.000Z';
const AFTER_LEASE = '2026-01-01T10:20:00.000Z';
const m = written(T0);

const created = (ratersWanted = 2, raterCap = 3): LabelTaskEvent => ({
  type: 'LabelTaskCreated',
  data: { taskId: 't1', imageId: 'img1', reason: 'uncertain', priority: 5, ratersWanted, raterCap },
  metadata: m,
});
const assigned = (expertId: string, leaseUntil = LEASE): LabelTaskEvent => ({
  type: 'LabelTaskAssigned',
  data: { taskId: 't1', expertId, leaseUntil },
  metadata: m,
});
const rated = (expertId: string, quality: 1 | 2 | 3, alignment: 1 | 2 | 3): LabelTaskEvent => ({
  type: 'RatingSubmitted',
  data: { taskId: 't1', imageId: 'img1', expertId, quality, alignment, flags: [], comment: '', msSpent: 1000 },
  metadata: m,
});
const rate = (expertId: string, quality: number, alignment: number, occurredAt = T1) => ({
  type: 'SubmitRating' as const,
  data: { taskId: 't1', expertId, quality, alignment, flags: ['blur'], comment: 'ok', msSpent: 4200 },
  metadata: at(occurredAt, { kind: 'expert', id: expertId }),
});

describe('label task decider', () => {
  it('creates a task with a default cap of two extra raters', () => {
    spec
      .given([])
      .when({ type: 'CreateLabelTask', data: { taskId: 't1', imageId: 'img1', reason: 'gold', priority: 1, ratersWanted: 2 }, metadata: at(T0) })
      .then([
        {
          type: 'LabelTaskCreated',
          data: { taskId: 't1', imageId: 'img1', reason: 'gold', priority: 1, ratersWanted: 2, raterCap: 4 },
          metadata: written(T0),
        },
      ]);
  });

  it('refuses a second creation, an unknown reason and zero raters', () => {
    const cmd = { type: 'CreateLabelTask' as const, data: { taskId: 't1', imageId: 'img1', reason: 'uncertain' as const, priority: 1, ratersWanted: 2 }, metadata: at(T0) };
    spec.given([created()]).when(cmd).thenThrows('ALREADY_EXISTS');
    spec.given([]).when({ ...cmd, data: { ...cmd.data, reason: 'whim' as never } }).thenThrows('INVALID_INPUT');
    spec.given([]).when({ ...cmd, data: { ...cmd.data, ratersWanted: 0 } }).thenThrows('INVALID_INPUT');
  });

  it('assigns with a lease, and refuses when all wanted raters are taken', () => {
    spec
      .given([created(2)])
      .when({ type: 'AssignLabelTask', data: { taskId: 't1', expertId: 'e1', leaseUntil: LEASE }, metadata: at(T1) })
      .then([{ type: 'LabelTaskAssigned', data: { taskId: 't1', expertId: 'e1', leaseUntil: LEASE }, metadata: written(T1) }]);
    spec
      .given([created(2), assigned('e1'), rated('e1', 2, 2), assigned('e2')])
      .when({ type: 'AssignLabelTask', data: { taskId: 't1', expertId: 'e3', leaseUntil: LEASE }, metadata: at(T1) })
      .thenThrows('TASK_FULL');
  });

  it('releases an expired lease of another expert before assigning its place', () => {
    const later = '2026-01-01T11:00:00.000Z';
    spec
      .given([created(1), assigned('e1')])
      .when({ type: 'AssignLabelTask', data: { taskId: 't1', expertId: 'e2', leaseUntil: later }, metadata: at(AFTER_LEASE) })
      .then([
        { type: 'LabelTaskReleased', data: { taskId: 't1', expertId: 'e1', cause: 'lease-expired' }, metadata: written(AFTER_LEASE) },
        { type: 'LabelTaskAssigned', data: { taskId: 't1', expertId: 'e2', leaseUntil: later }, metadata: written(AFTER_LEASE) },
      ]);
  });

  it('refuses a lease that ends before the command, and a task that does not exist', () => {
    spec.given([created()]).when({ type: 'AssignLabelTask', data: { taskId: 't1', expertId: 'e1', leaseUntil: T0 }, metadata: at(T1) }).thenThrows('INVALID_INPUT');
    spec.given([]).when({ type: 'AssignLabelTask', data: { taskId: 't1', expertId: 'e1', leaseUntil: LEASE }, metadata: at(T1) }).thenThrows('NOT_FOUND');
  });

  it('records a rating and completes the task with the median when k ratings agree', () => {
    const events = spec.given([created(2), assigned('e1'), assigned('e2'), rated('e1', 3, 2)]).when(rate('e2', 2, 2)).events();
    expect(events.map((e) => e.type)).toEqual(['RatingSubmitted', 'LabelTaskCompleted']);
    expect(events[0].data).toEqual({ taskId: 't1', imageId: 'img1', expertId: 'e2', quality: 2, alignment: 2, flags: ['blur'], comment: 'ok', msSpent: 4200 });
    expect(events[1].data).toEqual({ taskId: 't1', imageId: 'img1', consensus: { quality: 2.5, alignment: 2, raters: 2, method: 'median' } });
    expect(events[0].metadata.actor).toEqual({ kind: 'expert', id: 'e2' });
  });

  it('adds a rater on disagreement up to the cap, then completes', () => {
    const disagree = spec.given([created(2, 3), assigned('e1'), assigned('e2'), rated('e1', 1, 2)]).when(rate('e2', 3, 2)).events();
    expect(disagree.map((e) => e.type)).toEqual(['RatingSubmitted', 'LabelTaskRaterAdded']);
    expect(disagree[1].data).toEqual({ taskId: 't1', ratersWanted: 3 });

    const raterAdded: LabelTaskEvent = { type: 'LabelTaskRaterAdded', data: { taskId: 't1', ratersWanted: 3 }, metadata: m };
    const atCap = spec
      .given([created(2, 3), assigned('e1'), assigned('e2'), rated('e1', 1, 2), rated('e2', 3, 2), raterAdded, assigned('e3')])
      .when(rate('e3', 1, 2))
      .events();
    expect(atCap.map((e) => e.type)).toEqual(['RatingSubmitted', 'LabelTaskCompleted']);
    expect(atCap[1].data).toMatchObject({ consensus: { quality: 1, alignment: 2, raters: 3 } });
  });

  it('refuses ratings outside 1..3 or not integers', () => {
    const given = [created(), assigned('e1')];
    spec.given(given).when(rate('e1', 0, 2)).thenThrows('INVALID_RATING');
    spec.given(given).when(rate('e1', 2, 4)).thenThrows('INVALID_RATING');
    spec.given(given).when(rate('e1', 2.5, 2)).thenThrows('INVALID_RATING');
    spec.given(given).when(rate('e1', '2' as never, 2)).thenThrows('INVALID_RATING');
  });

  it('refuses a second rating by the same expert, a rating without a lease, and after the lease ended', () => {
    spec.given([created(3), assigned('e1'), rated('e1', 2, 2)]).when(rate('e1', 3, 3)).thenThrows('ALREADY_RATED');
    spec.given([created(3), assigned('e1'), rated('e1', 2, 2)]).when({ type: 'AssignLabelTask', data: { taskId: 't1', expertId: 'e1', leaseUntil: LEASE }, metadata: at(T1) }).thenThrows('ALREADY_RATED');
    spec.given([created(3)]).when(rate('e1', 2, 2)).thenThrows('LEASE_REQUIRED');
    spec.given([created(3), assigned('e1')]).when(rate('e1', 2, 2, AFTER_LEASE)).thenThrows('LEASE_EXPIRED');
  });

  it('refuses ratings on a completed task', () => {
    const completed: LabelTaskEvent = {
      type: 'LabelTaskCompleted',
      data: { taskId: 't1', imageId: 'img1', consensus: { quality: 2, alignment: 2, raters: 1, method: 'median' } },
      metadata: m,
    };
    spec.given([created(1), assigned('e1'), rated('e1', 2, 2), completed, assigned('e2')]).when(rate('e2', 2, 2)).thenThrows('TASK_ALREADY_COMPLETED');
  });

  it('releases expired leases only, and a declined lease on request', () => {
    spec
      .given([created(3), assigned('e1'), assigned('e2', '2026-01-01T12:00:00.000Z')])
      .when({ type: 'ReleaseExpiredLeases', data: { taskId: 't1' }, metadata: at(AFTER_LEASE) })
      .then([{ type: 'LabelTaskReleased', data: { taskId: 't1', expertId: 'e1', cause: 'lease-expired' }, metadata: written(AFTER_LEASE) }]);
    spec.given([created(3), assigned('e1')]).when({ type: 'ReleaseExpiredLeases', data: { taskId: 't1' }, metadata: at(T1) }).then([]);
    spec
      .given([created(3), assigned('e1')])
      .when({ type: 'ReleaseLabelTask', data: { taskId: 't1', expertId: 'e1' }, metadata: at(T1) })
      .then([{ type: 'LabelTaskReleased', data: { taskId: 't1', expertId: 'e1', cause: 'declined' }, metadata: written(T1) }]);
    spec.given([created(3)]).when({ type: 'ReleaseLabelTask', data: { taskId: 't1', expertId: 'e1' }, metadata: at(T1) }).thenThrows('LEASE_REQUIRED');
  });

  it('retracts a rating: the task opens again and the expert may rate anew', () => {
    const completed: LabelTaskEvent = {
      type: 'LabelTaskCompleted',
      data: { taskId: 't1', imageId: 'img1', consensus: { quality: 2, alignment: 2, raters: 1, method: 'median' } },
      metadata: m,
    };
    const history = [created(1), assigned('e1'), rated('e1', 2, 2), completed];
    const retract = { type: 'RetractRating' as const, data: { taskId: 't1', expertId: 'e1', leaseUntil: LEASE }, metadata: at(T1) };
    const undo = spec.given(history).when(retract).events();
    expect(undo.map((e) => e.type)).toEqual(['RatingRetracted', 'LabelTaskAssigned']);

    const state = [...history, ...undo].reduce(labelTaskDecider.evolve, labelTaskDecider.initialState());
    expect(state.status).toBe('Open');
    const again = labelTaskDecider.decide(rate('e1', 3, 3), state);
    expect(again.map((e) => e.type)).toEqual(['RatingSubmitted', 'LabelTaskCompleted']);

    spec.given([created(1)]).when(retract).thenThrows('NOT_FOUND');
  });
});
