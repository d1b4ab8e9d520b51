import type { RecordedEvent } from '../store/port';
import type { ImageRegistered } from '@forge/domain';
import type { Projection } from '../read-model/projection';

export type ImageView = ImageRegistered['data'] & { position: number; registeredAt: string };

export class ImagesProjection implements Projection {
  readonly handles = new Set(['ImageRegistered']);
  readonly byId = new Map<string, ImageView>();
  /** Registration order, for stable paging. */
  readonly order: string[] = [];

  apply(recorded: RecordedEvent): void {
    const data = (recorded as unknown as ImageRegistered).data;
    if (this.byId.has(data.imageId)) return;
    this.byId.set(data.imageId, { ...data, position: recorded.position, registeredAt: recorded.recordedAt });
    this.order.push(data.imageId);
  }
}
