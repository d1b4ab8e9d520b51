import type { RecordedEvent } from '../store/port';
import type { LabelTaskEvent, LabelTaskReason } from '@forge/domain';
import type { Projection } from '../read-model/projection';

export interface RatingView {
  taskId: string;
  imageId: string;
  expertId: string;
  quality: number;
  alignment: number;
  flags: string[];
  comment: string;
  msSpent: number;
  submittedAt: string;
  position: number;
  retracted: boolean;
}

export interface TaskView {
  taskId: string;
  imageId: string;
  reason: LabelTaskReason;
  priority: number;
  ratersWanted: number;
  status: 'Open' | 'Completed';
  /** expertId → lease end (ISO). */
  leases: Record<string, string>;
  /** expertId → the rating that counts. */
  ratings: Record<string, RatingView>;
  createdAt: string;
  position: number;
}

export class TasksProjection implements Projection {
  readonly handles = new Set([
    'LabelTaskCreated',
    'LabelTaskAssigned',
    'LabelTaskReleased',
    'LabelTaskRaterAdded',
    'LabelTaskCompleted',
    'RatingSubmitted',
    'RatingRetracted',
  ]);
  readonly byId = new Map<string, TaskView>();
  /** Every rating an expert ever submitted, oldest first (retracted ones flagged). */
  readonly ratingsByExpert = new Map<string, RatingView[]>();

  apply(recorded: RecordedEvent): void {
    const event = recorded as unknown as LabelTaskEvent;
    if (event.type === 'LabelTaskCreated') {
      const d = event.data;
      this.byId.set(d.taskId, { taskId: d.taskId, imageId: d.imageId, reason: d.reason, priority: d.priority, ratersWanted: d.ratersWanted, status: 'Open', leases: {}, ratings: {}, createdAt: recorded.recordedAt, position: recorded.position });
      return;
    }
    const task = this.byId.get(event.data.taskId);
    if (!task) return;
    switch (event.type) {
      case 'LabelTaskAssigned':
        task.leases[event.data.expertId] = event.data.leaseUntil;
        break;
      case 'LabelTaskReleased':
        delete task.leases[event.data.expertId];
        break;
      case 'LabelTaskRaterAdded':
        task.ratersWanted = event.data.ratersWanted;
        break;
      case 'LabelTaskCompleted':
        task.status = 'Completed';
        break;
      case 'RatingSubmitted': {
        const rating: RatingView = { ...event.data, flags: [...event.data.flags], submittedAt: recorded.recordedAt, position: recorded.position, retracted: false };
        delete task.leases[event.data.expertId];
        task.ratings[event.data.expertId] = rating;
        const mine = this.ratingsByExpert.get(event.data.expertId) ?? [];
        mine.push(rating);
        this.ratingsByExpert.set(event.data.expertId, mine);
        break;
      }
      case 'RatingRetracted': {
        const rating = task.ratings[event.data.expertId];
        if (rating) rating.retracted = true;
        delete task.ratings[event.data.expertId];
        task.status = 'Open';
        break;
      }
    }
  }

  /** Whether the expert has (or had) this image in one of their tasks. */
  expertSeesImage(expertId: string, imageId: string): boolean {
    for (const t of this.byId.values()) if (t.imageId === imageId && (t.leases[expertId] || t.ratings[expertId])) return true;
    return (this.ratingsByExpert.get(expertId) ?? []).some((r) => r.imageId === imageId);
  }
}
