// The label-task aggregate on stream `task-<id>`, over the domain's label-task events.
// @forge/domain has the events but no task decider yet, so it lives here, pure.
import {
  DomainError,
  eventMetadata,
  type Command,
  type Consensus,
  type Decider,
  type LabelTaskEvent,
  type LabelTaskReason,
  type RatingValue,
} from '@forge/domain';

export type LabelTaskCommand =
  | Command<'CreateLabelTask', { taskId: string; imageId: string; reason: LabelTaskReason; priority: number; ratersWanted: number; raterCap: number }>
  | Command<'ClaimLabelTask', { taskId: string; expertId: string; leaseUntil: string }>
  | Command<
      'SubmitRating',
      { taskId: string; expertId: string; quality: RatingValue; alignment: RatingValue; flags: string[]; comment: string; msSpent: number }
    >
  | Command<'RetractRating', { taskId: string; expertId: string; leaseUntil: string }>;

export type LabelTaskState =
  | { status: 'None' }
  | {
      status: 'Open' | 'Completed';
      taskId: string;
      imageId: string;
      ratersWanted: number;
      /** expertId → lease end (ISO). */
      leases: Record<string, string>;
      /** expertId → rating that counts. */
      ratings: Record<string, { quality: RatingValue; alignment: RatingValue }>;
    };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const labelTaskDecider: Decider<LabelTaskState, LabelTaskCommand, LabelTaskEvent> = {
  initialState: () => ({ status: 'None' }),

  decide(command, state) {
    const metadata = eventMetadata(command);
    const now = command.metadata.occurredAt;
    const { taskId } = command.data;
    if (command.type === 'CreateLabelTask') {
      if (state.status !== 'None') throw new DomainError('ALREADY_EXISTS', `task '${taskId}' already exists`, { taskId });
      const d = command.data;
      if (!(d.ratersWanted >= 1 && d.raterCap >= d.ratersWanted)) throw new DomainError('INVALID_INPUT', 'ratersWanted: must be ≥ 1 and ≤ raterCap', { field: 'ratersWanted' });
      return [{ type: 'LabelTaskCreated', data: { ...d }, metadata }];
    }
    if (state.status === 'None') throw new DomainError('NOT_FOUND', `no task '${taskId}'`, { taskId });
    const { expertId } = command.data;
    const live = (until: string | undefined) => until !== undefined && until > now;
    switch (command.type) {
      case 'ClaimLabelTask': {
        if (state.status === 'Completed') throw new DomainError('TASK_ALREADY_COMPLETED', `task '${taskId}' is completed`, { taskId });
        if (state.ratings[expertId]) throw new DomainError('ALREADY_RATED', `expert '${expertId}' already rated task '${taskId}'`, { taskId });
        // Leases that ran out go back to the queue, recorded as such.
        const released: LabelTaskEvent[] = Object.entries(state.leases)
          .filter(([id, until]) => id !== expertId && !live(until))
          .map(([id]) => ({ type: 'LabelTaskReleased', data: { taskId, expertId: id, cause: 'lease-expired' }, metadata }));
        const othersHolding = Object.entries(state.leases).filter(([id, until]) => id !== expertId && live(until)).length;
        if (othersHolding + Object.keys(state.ratings).length >= state.ratersWanted) {
          throw new DomainError('TASK_FULL', `task '${taskId}' has all the raters it wants`, { taskId });
        }
        return [...released, { type: 'LabelTaskAssigned', data: { taskId, expertId, leaseUntil: command.data.leaseUntil }, metadata }];
      }
      case 'SubmitRating': {
        if (state.status === 'Completed') throw new DomainError('TASK_ALREADY_COMPLETED', `task '${taskId}' is already completed`, { taskId });
        if (state.ratings[expertId]) throw new DomainError('ALREADY_RATED', `expert '${expertId}' already rated task '${taskId}'`, { taskId });
        const lease = state.leases[expertId];
        if (lease === undefined) throw new DomainError('LEASE_REQUIRED', `task '${taskId}' is not assigned to '${expertId}'; claim it first`, { taskId });
        if (!live(lease)) throw new DomainError('LEASE_EXPIRED', `the lease on task '${taskId}' ended at ${lease}`, { taskId });
        const d = command.data;
        const rating: LabelTaskEvent = {
          type: 'RatingSubmitted',
          data: { taskId, imageId: state.imageId, expertId, quality: d.quality, alignment: d.alignment, flags: d.flags, comment: d.comment, msSpent: d.msSpent },
          metadata,
        };
        const all = [...Object.values(state.ratings), { quality: d.quality, alignment: d.alignment }];
        if (all.length < state.ratersWanted) return [rating];
        const consensus: Consensus = { quality: median(all.map((r) => r.quality)), alignment: median(all.map((r) => r.alignment)), raters: all.length, method: 'median' };
        return [rating, { type: 'LabelTaskCompleted', data: { taskId, imageId: state.imageId, consensus }, metadata }];
      }
      case 'RetractRating': {
        if (!state.ratings[expertId]) throw new DomainError('NOT_FOUND', `expert '${expertId}' has no rating on task '${taskId}'`, { taskId });
        // Undo hands the task straight back to the same expert, so they can rate it again.
        return [
          { type: 'RatingRetracted', data: { taskId, imageId: state.imageId, expertId }, metadata },
          { type: 'LabelTaskAssigned', data: { taskId, expertId, leaseUntil: command.data.leaseUntil }, metadata },
        ];
      }
      default: {
        const _exhaustive: never = command;
        return _exhaustive;
      }
    }
  },

  evolve(state, event) {
    if (event.type === 'LabelTaskCreated') {
      const d = event.data;
      return { status: 'Open', taskId: d.taskId, imageId: d.imageId, ratersWanted: d.ratersWanted, leases: {}, ratings: {} };
    }
    if (state.status === 'None') return state;
    switch (event.type) {
      case 'LabelTaskAssigned':
        return { ...state, leases: { ...state.leases, [event.data.expertId]: event.data.leaseUntil } };
      case 'LabelTaskReleased': {
        const { [event.data.expertId]: _gone, ...leases } = state.leases;
        return { ...state, leases };
      }
      case 'LabelTaskRaterAdded':
        return { ...state, ratersWanted: event.data.ratersWanted };
      case 'RatingSubmitted': {
        const { [event.data.expertId]: _used, ...leases } = state.leases;
        return { ...state, leases, ratings: { ...state.ratings, [event.data.expertId]: { quality: event.data.quality, alignment: event.data.alignment } } };
      }
      case 'RatingRetracted': {
        const { [event.data.expertId]: _gone, ...ratings } = state.ratings;
        return { ...state, status: 'Open', ratings };
      }
      case 'LabelTaskCompleted':
        return { ...state, status: 'Completed' };
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  },
};
