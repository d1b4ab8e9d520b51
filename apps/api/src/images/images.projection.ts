import type { RecordedEvent } from '../store/port';
import type { ImageGenerated, ImageRegistered } from '@forge/domain';
import type { Projection } from '../read-model/projection';

/** A registered image; `generatorVersion` names the generator that made a synthetic one (null for real images). */
export type ImageView = ImageRegistered['data'] & { generatorVersion: string | null; position: number; registeredAt: string };

/** How many images one generator version made, and when the first and last were registered. */
export interface GeneratorImages {
  generatorVersion: string;
  count: number;
  firstAt: string;
  lastAt: string;
}

export class ImagesProjection implements Projection {
  readonly handles = new Set(['ImageRegistered', 'ImageGenerated']);
  readonly byId = new Map<string, ImageView>();
  /** Registration order, for stable paging. */
  readonly order: string[] = [];
  /** Generator version by image id, from ImageGenerated (appended with, and just before, the image's ImageRegistered). */
  private readonly generatedBy = new Map<string, string>();
  private readonly perGenerator = new Map<string, GeneratorImages>();

  apply(recorded: RecordedEvent): void {
    if (recorded.type === 'ImageGenerated') {
      const data = (recorded as unknown as ImageGenerated).data;
      if (this.generatedBy.has(data.imageId)) return;
      this.generatedBy.set(data.imageId, data.generatorVersion);
      const image = this.byId.get(data.imageId);
      if (image) this.attribute(image, data.generatorVersion);
      return;
    }
    const data = (recorded as unknown as ImageRegistered).data;
    if (this.byId.has(data.imageId)) return;
    const image: ImageView = { ...data, generatorVersion: null, position: recorded.position, registeredAt: recorded.recordedAt };
    this.byId.set(data.imageId, image);
    this.order.push(data.imageId);
    const version = this.generatedBy.get(data.imageId);
    if (version !== undefined) this.attribute(image, version);
  }

  /** Generator versions with at least one image, oldest first. */
  generators(): GeneratorImages[] {
    return [...this.perGenerator.values()].sort((a, b) => a.firstAt.localeCompare(b.firstAt) || a.generatorVersion.localeCompare(b.generatorVersion));
  }

  private attribute(image: ImageView, version: string): void {
    image.generatorVersion = version;
    const seen = this.perGenerator.get(version);
    if (!seen) this.perGenerator.set(version, { generatorVersion: version, count: 1, firstAt: image.registeredAt, lastAt: image.registeredAt });
    else Object.assign(seen, { count: seen.count + 1, lastAt: image.registeredAt > seen.lastAt ? image.registeredAt : seen.lastAt, firstAt: image.registeredAt < seen.firstAt ? image.registeredAt : seen.firstAt });
  }
}
