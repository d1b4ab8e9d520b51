import type {
  Consensus,
  LabelTaskCompleted,
  LabelTaskEvent,
  LabelTaskReason,
  LabelTaskReleased,
  RatingValue,
} from '../events';
import { LABEL_TASK_REASONS } from '../events';
import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/errors';
import { eventMetadata, type Command, type EventMetadata } from '../shared/event';
import { instant, invalid, requireFinite, requireInt, requireIsoTime, requireOneOf, requireString, requireStringArray, requireText } from '../shared/guards';
import { medianConsensus, ratingsDisagree, type RatingPair } from './consensus';

export type CreateLabelTask = Command<
  'CreateLabelTask',
  { taskId: string; imageId: string; reason: LabelTaskReason; priority: number; ratersWanted: number; raterCap?: number }
>;
/** Give the task to an expert until `leaseUntil`; asking again while holding it extends the lease. */
export type AssignLabelTask = Command<'AssignLabelTask', { taskId: string; expertId: string; leaseUntil: string }>;
/** The expert gives the task back without rating. */
export type ReleaseLabelTask = Command<'ReleaseLabelTask', { taskId: string; expertId: string }>;
/** Return every lease that has ended by `metadata.occurredAt` to the queue. */
export type ReleaseExpiredLeases = Command<'ReleaseExpiredLeases', { taskId: string }>;
export type SubmitRating = Command<
  'SubmitRating',
  {
    taskId: string;
    expertId: string;
    quality: number;
    alignment: number;
    flags: string[];
    comment: string;
    msSpent: number;
  }
>;
/** Undo of the expert's rating; the expert gets the task back until `leaseUntil` to rate again. */
export type RetractRating = Command<'RetractRating', { taskId: string; expertId: string; leaseUntil: string }>;

export type LabelTaskCommand =
  | CreateLabelTask
  | AssignLabelTask
  | ReleaseLabelTask
  | ReleaseExpiredLeases
  | SubmitRating
  | RetractRating;

type TaskFacts = {
  taskId: string;
  imageId: string;
  reason: LabelTaskReason;
  priority: number;
  ratersWanted: number;
  raterCap: number;
  /** expertId → lease end (ISO). */
  leases: Record<string, string>;
  /** expertId → rating. */
  ratings: Record<string, RatingPair>;
};

export type LabelTaskState =
  | { status: 'Absent' }
  | ({ status: 'Open' } & TaskFacts)
  | ({ status: 'Completed'; consensus: Consensus } & TaskFacts);

/** Extra raters a task may gain on disagreement when the creator does not say. */
export const DEFAULT_EXTRA_RATERS = 2;
export const MAX_RATERS = 20;

function isRating(value: number): value is RatingValue {
  return value === 1 || value === 2 || value === 3;
}

function requireTask(state: LabelTaskState, taskId: string): Exclude<LabelTaskState, { status: 'Absent' }> {
  if (state.status === 'Absent') throw new DomainError('NOT_FOUND', `label task ${taskId} does not exist`, { taskId });
  return state;
}

function requireOpen(state: LabelTaskState, taskId: string): Extract<LabelTaskState, { status: 'Open' }> {
  const task = requireTask(state, taskId);
  if (task.status === 'Completed') {
    throw new DomainError('TASK_ALREADY_COMPLETED', `label task ${taskId} is already completed`, { taskId });
  }
  return task;
}

function expiredLeases(task: TaskFacts, metadata: EventMetadata, except?: string): LabelTaskReleased[] {
  const now = instant(metadata.occurredAt);
  return Object.entries(task.leases)
    .filter(([expertId, until]) => expertId !== except && instant(until) <= now)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([expertId]) => ({ type: 'LabelTaskReleased', data: { taskId: task.taskId, expertId, cause: 'lease-expired' }, metadata }));
}

function decide(command: LabelTaskCommand, state: LabelTaskState): LabelTaskEvent[] {
  const metadata = eventMetadata(command);
  requireIsoTime('metadata.occurredAt', metadata.occurredAt);
  const now = instant(metadata.occurredAt);
  switch (command.type) {
    case 'CreateLabelTask': {
      const { taskId, imageId, reason, priority, ratersWanted } = command.data;
      if (state.status !== 'Absent') throw new DomainError('ALREADY_EXISTS', `label task ${taskId} already exists`, { taskId });
      requireText('taskId', taskId, 200);
      requireText('imageId', imageId, 200);
      requireOneOf('reason', reason, LABEL_TASK_REASONS);
      requireFinite('priority', priority);
      requireInt('ratersWanted', ratersWanted, 1, MAX_RATERS);
      const raterCap = command.data.raterCap ?? Math.min(MAX_RATERS, ratersWanted + DEFAULT_EXTRA_RATERS);
      requireInt('raterCap', raterCap, ratersWanted, MAX_RATERS);
      return [{ type: 'LabelTaskCreated', data: { taskId, imageId, reason, priority, ratersWanted, raterCap }, metadata }];
    }
    case 'AssignLabelTask': {
      const { taskId, expertId, leaseUntil } = command.data;
      const task = requireOpen(state, taskId);
      requireText('expertId', expertId, 200);
      requireIsoTime('leaseUntil', leaseUntil);
      if (instant(leaseUntil) <= now) invalid('leaseUntil', 'must be later than the time of the command');
      if (expertId in task.ratings) {
        throw new DomainError('ALREADY_RATED', `expert ${expertId} has already rated task ${taskId}`, { taskId, expertId });
      }
      const released = expiredLeases(task, metadata, expertId);
      const stillLeased = Object.keys(task.leases).filter((id) => id !== expertId && !released.some((r) => r.data.expertId === id));
      if (Object.keys(task.ratings).length + stillLeased.length >= task.ratersWanted) {
        throw new DomainError('TASK_FULL', `label task ${taskId} already has all the raters it wants`, { taskId });
      }
      return [...released, { type: 'LabelTaskAssigned', data: { taskId, expertId, leaseUntil }, metadata }];
    }
    case 'ReleaseLabelTask': {
      const { taskId, expertId } = command.data;
      const task = requireOpen(state, taskId);
      if (!(expertId in task.leases)) {
        throw new DomainError('LEASE_REQUIRED', `expert ${expertId} does not hold task ${taskId}`, { taskId, expertId });
      }
      return [{ type: 'LabelTaskReleased', data: { taskId, expertId, cause: 'declined' }, metadata }];
    }
    case 'ReleaseExpiredLeases': {
      const task = requireTask(state, command.data.taskId);
      return task.status === 'Completed' ? [] : expiredLeases(task, metadata);
    }
    case 'SubmitRating': {
      const { taskId, expertId, quality, alignment, flags, comment, msSpent } = command.data;
      const task = requireOpen(state, taskId);
      if (!isRating(quality)) invalid('quality', `must be an integer 1..3, got ${String(quality)}`, 'INVALID_RATING');
      if (!isRating(alignment)) invalid('alignment', `must be an integer 1..3, got ${String(alignment)}`, 'INVALID_RATING');
      requireStringArray('flags', flags, 50, 100);
      requireString('comment', comment, 2000);
      requireInt('msSpent', msSpent, 0);
      if (expertId in task.ratings) {
        throw new DomainError('ALREADY_RATED', `expert ${expertId} has already rated task ${taskId}`, { taskId, expertId });
      }
      const lease = task.leases[expertId];
      if (lease === undefined) {
        throw new DomainError('LEASE_REQUIRED', `expert ${expertId} must be assigned task ${taskId} before rating it`, { taskId, expertId });
      }
      if (instant(lease) <= now) {
        throw new DomainError('LEASE_EXPIRED', `the lease of expert ${expertId} on task ${taskId} ended at ${lease}`, { taskId, expertId, leaseUntil: lease });
      }
      const events: LabelTaskEvent[] = [
        {
          type: 'RatingSubmitted',
          data: { taskId, imageId: task.imageId, expertId, quality, alignment, flags, comment, msSpent },
          metadata,
        },
      ];
      const ratings = [...Object.values(task.ratings), { quality, alignment }];
      if (ratings.length >= task.ratersWanted) {
        if (ratingsDisagree(ratings) && task.ratersWanted < task.raterCap) {
          events.push({ type: 'LabelTaskRaterAdded', data: { taskId, ratersWanted: task.ratersWanted + 1 }, metadata });
        } else {
          const completed: LabelTaskCompleted = {
            type: 'LabelTaskCompleted',
            data: { taskId, imageId: task.imageId, consensus: medianConsensus(ratings) },
            metadata,
          };
          events.push(completed);
        }
      }
      return events;
    }
    case 'RetractRating': {
      const { taskId, expertId, leaseUntil } = command.data;
      const task = requireTask(state, taskId);
      if (!(expertId in task.ratings)) {
        throw new DomainError('NOT_FOUND', `expert ${expertId} has no rating on task ${taskId} to retract`, { taskId, expertId });
      }
      requireIsoTime('leaseUntil', leaseUntil);
      if (instant(leaseUntil) <= now) invalid('leaseUntil', 'must be later than the time of the command');
      return [
        { type: 'RatingRetracted', data: { taskId, imageId: task.imageId, expertId }, metadata },
        { type: 'LabelTaskAssigned', data: { taskId, expertId, leaseUntil }, metadata },
      ];
    }
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}

function without<T>(record: Record<string, T>, key: string): Record<string, T> {
  const copy = { ...record };
  delete copy[key];
  return copy;
}

function evolve(state: LabelTaskState, event: LabelTaskEvent): LabelTaskState {
  if (event.type === 'LabelTaskCreated') {
    const { taskId, imageId, reason, priority, ratersWanted, raterCap } = event.data;
    return { status: 'Open', taskId, imageId, reason, priority, ratersWanted, raterCap, leases: {}, ratings: {} };
  }
  if (state.status === 'Absent') return state;
  switch (event.type) {
    case 'LabelTaskAssigned':
      return { ...state, leases: { ...state.leases, [event.data.expertId]: event.data.leaseUntil } };
    case 'LabelTaskReleased':
      return { ...state, leases: without(state.leases, event.data.expertId) };
    case 'LabelTaskRaterAdded':
      return { ...state, ratersWanted: event.data.ratersWanted };
    case 'RatingSubmitted': {
      const { expertId, quality, alignment } = event.data;
      return { ...state, leases: without(state.leases, expertId), ratings: { ...state.ratings, [expertId]: { quality, alignment } } };
    }
    case 'RatingRetracted': {
      // Undo reopens a completed task: its consensus no longer holds.
      const { taskId, imageId, reason, priority, ratersWanted, raterCap, leases, ratings } = state;
      const facts: TaskFacts = { taskId, imageId, reason, priority, ratersWanted, raterCap, leases, ratings };
      return { ...facts, status: 'Open', ratings: without(ratings, event.data.expertId) };
    }
    case 'LabelTaskCompleted':
      return { ...state, status: 'Completed', leases: {}, consensus: event.data.consensus };
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

export const labelTaskDecider: Decider<LabelTaskState, LabelTaskCommand, LabelTaskEvent> = {
  decide,
  evolve,
  initialState: () => ({ status: 'Absent' }),
};
