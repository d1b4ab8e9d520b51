import type { Event } from '../shared/event';

export type LabelTaskReason = 'uncertain' | 'gold' | 'random' | 'disagreement' | 'repeat';
export const LABEL_TASK_REASONS: readonly LabelTaskReason[] = ['uncertain', 'gold', 'random', 'disagreement', 'repeat'];

/** Ratings are ordinal 1 (poor) .. 3 (good). */
export type RatingValue = 1 | 2 | 3;

/** Agreed answer of a completed task: the median of the ratings on each axis. */
export type Consensus = {
  quality: number;
  alignment: number;
  raters: number;
  method: 'median';
};

/** Stream `task-<id>`. Higher priority is served first. `raterCap` bounds extra raters added on disagreement. */
export type LabelTaskCreated = Event<
  'LabelTaskCreated',
  {
    taskId: string;
    imageId: string;
    reason: LabelTaskReason;
    priority: number;
    ratersWanted: number;
    raterCap: number;
  }
>;

/** The expert holds the task until `leaseUntil` (ISO); after that the task returns to the queue. */
export type LabelTaskAssigned = Event<'LabelTaskAssigned', { taskId: string; expertId: string; leaseUntil: string }>;

export type LabelTaskReleased = Event<
  'LabelTaskReleased',
  { taskId: string; expertId: string; cause: 'lease-expired' | 'declined' }
>;

/** The ratings disagreed, so one more rater is wanted (never beyond the task's cap). */
export type LabelTaskRaterAdded = Event<'LabelTaskRaterAdded', { taskId: string; ratersWanted: number }>;

export type LabelTaskCompleted = Event<'LabelTaskCompleted', { taskId: string; imageId: string; consensus: Consensus }>;

/** Stream `task-<id>`. One per expert per task. */
export type RatingSubmitted = Event<
  'RatingSubmitted',
  {
    taskId: string;
    imageId: string;
    expertId: string;
    quality: RatingValue;
    alignment: RatingValue;
    flags: string[];
    comment: string;
    msSpent: number;
  }
>;

/** Undo of an expert's rating: it no longer counts, and a completed task opens again. */
export type RatingRetracted = Event<'RatingRetracted', { taskId: string; imageId: string; expertId: string }>;

export type LabelTaskEvent =
  | LabelTaskCreated
  | LabelTaskAssigned
  | LabelTaskReleased
  | LabelTaskRaterAdded
  | LabelTaskCompleted
  | RatingSubmitted
  | RatingRetracted;
