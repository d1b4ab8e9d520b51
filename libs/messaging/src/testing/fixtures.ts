import { randomUUID } from 'node:crypto';
import type { NewEvent } from '@forge/event-store';

const occurredAt = '2026-11-01T10:00:00.000Z';

export function ratingSubmitted(taskId: string, expertId: string, quality: 1 | 2 | 3 = 2): NewEvent {
  return {
    id: randomUUID(),
    type: 'RatingSubmitted',
    data: { taskId, imageId: `img-${taskId}`, expertId, quality, alignment: 2, flags: [], comment: '', msSpent: 1200 },
    metadata: { actor: { kind: 'expert', id: expertId }, correlationId: randomUUID(), occurredAt, schemaVersion: 1 },
  };
}

export function imageRegistered(imageId: string): NewEvent {
  return {
    id: randomUUID(),
    type: 'ImageRegistered',
    data: { imageId, origin: 'synthetic', sha256: 'a'.repeat(64), width: 32, height: 32, modality: 'fundus', caption: 'normal fundus', labels: {} },
    metadata: { actor: { kind: 'system', id: 'test' }, correlationId: randomUUID(), occurredAt, schemaVersion: 1 },
  };
}
