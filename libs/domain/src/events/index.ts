import type { DatasetEvent } from './datasets.events';
import type { ExpertEvent } from './experts.events';
import type { LabelTaskEvent } from './label-tasks.events';
import type { ScoringEvent } from './scoring.events';
import type { SignatureEvent } from './signatures.events';
import type { ModelVersionEvent, TrainingRunEvent } from './training.events';
import type { UserEvent } from './users.events';

export * from './datasets.events';
export * from './experts.events';
export * from './label-tasks.events';
export * from './scoring.events';
export * from './signatures.events';
export * from './training.events';
export * from './users.events';

/** Every event of the catalogue. */
export type DomainEvent =
  | DatasetEvent
  | ScoringEvent
  | ExpertEvent
  | UserEvent
  | LabelTaskEvent
  | TrainingRunEvent
  | ModelVersionEvent
  | SignatureEvent;

export type DomainEventType = DomainEvent['type'];

/** The event of one type: `EventOfType<'RatingSubmitted'>`. */
export type EventOfType<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;

// A record keyed by every type makes the compiler complain when an event is added and not listed.
const TYPES: Record<DomainEventType, true> = {
  DatasetImported: true,
  ImageRegistered: true,
  GenerationRequested: true,
  ImageGenerated: true,
  SelectorScored: true,
  AlignmentScored: true,
  ExpertRegistered: true,
  ExpertReliabilityEstimated: true,
  UserRegistered: true,
  UserRolesChanged: true,
  UserPasswordChanged: true,
  UserDisabled: true,
  LabelTaskCreated: true,
  LabelTaskAssigned: true,
  LabelTaskReleased: true,
  LabelTaskRaterAdded: true,
  LabelTaskCompleted: true,
  RatingSubmitted: true,
  RatingRetracted: true,
  RetrainingTriggered: true,
  TrainingStarted: true,
  CheckpointSaved: true,
  TrainingCompleted: true,
  TrainingFailed: true,
  SelectorTrained: true,
  PolicyUpdated: true,
  GeneratorRefined: true,
  EvaluationCompleted: true,
  ModelVersionPromoted: true,
  ModelVersionRejected: true,
  SignatureApplied: true,
};

export const DOMAIN_EVENT_TYPES = Object.keys(TYPES).sort() as DomainEventType[];

export function isDomainEventType(type: string): type is DomainEventType {
  return Object.prototype.hasOwnProperty.call(TYPES, type);
}
export * from './event-shapes';
