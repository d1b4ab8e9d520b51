import type { Consensus, LabelTaskReason } from '../events';
import type { Projection } from './projection';

/** A label task as the queue sees it. Leases are kept with their end; "now" is applied when querying. */
export type LabelTaskView = {
  taskId: string;
  imageId: string;
  reason: LabelTaskReason;
  priority: number;
  ratersWanted: number;
  status: 'Open' | 'Completed';
  leases: Record<string, string>;
  raters: string[];
  consensus: Consensus | null;
  createdAt: string;
  createdPosition: number;
};

function without(record: Record<string, string>, key: string): Record<string, string> {
  const copy = { ...record };
  delete copy[key];
  return copy;
}

export const labelTasksProjection: Projection<
  LabelTaskView,
  'LabelTaskCreated' | 'LabelTaskAssigned' | 'LabelTaskReleased' | 'LabelTaskRaterAdded' | 'LabelTaskCompleted' | 'RatingSubmitted' | 'RatingRetracted'
> = {
  name: 'labelTasks',
  canHandle: ['LabelTaskCreated', 'LabelTaskAssigned', 'LabelTaskReleased', 'LabelTaskRaterAdded', 'LabelTaskCompleted', 'RatingSubmitted', 'RatingRetracted'],
  documentId: (event) => event.data.taskId,
  evolve(doc, event) {
    if (event.type === 'LabelTaskCreated') {
      const { taskId, imageId, reason, priority, ratersWanted } = event.data;
      return {
        taskId,
        imageId,
        reason,
        priority,
        ratersWanted,
        status: 'Open',
        leases: {},
        raters: [],
        consensus: null,
        createdAt: event.metadata.occurredAt,
        createdPosition: event.position,
      };
    }
    if (doc === null) return null; // a task's events share one stream: creation always comes first
    switch (event.type) {
      case 'LabelTaskAssigned':
        return { ...doc, leases: { ...doc.leases, [event.data.expertId]: event.data.leaseUntil } };
      case 'LabelTaskReleased':
        return { ...doc, leases: without(doc.leases, event.data.expertId) };
      case 'LabelTaskRaterAdded':
        return { ...doc, ratersWanted: event.data.ratersWanted };
      case 'RatingSubmitted':
        return { ...doc, leases: without(doc.leases, event.data.expertId), raters: [...doc.raters, event.data.expertId] };
      case 'RatingRetracted':
        return { ...doc, status: 'Open', consensus: null, raters: doc.raters.filter((id) => id !== event.data.expertId) };
      case 'LabelTaskCompleted':
        return { ...doc, status: 'Completed', leases: {}, consensus: event.data.consensus };
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  },
};

export type QueueItem = {
  taskId: string;
  imageId: string;
  reason: LabelTaskReason;
  priority: number;
  /** Set when this expert already holds the task. */
  leaseUntil: string | null;
};

/**
 * The tasks an expert may take at `now` (ISO): open, not yet rated by them, and with a free place
 * once ended leases are ignored. Tasks they already hold come first, then by priority (high first),
 * then oldest first; ties by id so the order never depends on map order.
 */
export function expertQueue(tasks: Record<string, LabelTaskView>, expertId: string, now: string, limit = 50): QueueItem[] {
  const nowMs = Date.parse(now);
  const items: (QueueItem & { createdPosition: number })[] = [];
  for (const task of Object.values(tasks)) {
    if (task.status !== 'Open' || task.raters.includes(expertId)) continue;
    const liveLeases = Object.entries(task.leases).filter(([, until]) => Date.parse(until) > nowMs);
    const mine = liveLeases.find(([id]) => id === expertId);
    const taken = task.raters.length + liveLeases.filter(([id]) => id !== expertId).length;
    if (!mine && taken >= task.ratersWanted) continue;
    items.push({
      taskId: task.taskId,
      imageId: task.imageId,
      reason: task.reason,
      priority: task.priority,
      leaseUntil: mine ? mine[1] : null,
      createdPosition: task.createdPosition,
    });
  }
  return items
    .sort(
      (a, b) =>
        Number(b.leaseUntil !== null) - Number(a.leaseUntil !== null) ||
        b.priority - a.priority ||
        a.createdPosition - b.createdPosition ||
        (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0),
    )
    .slice(0, limit)
    .map(({ createdPosition: _createdPosition, ...item }) => item);
}
