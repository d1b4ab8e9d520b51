import { randomUUID } from 'node:crypto';
import { CURRENT_SCHEMA_VERSION, imageDecider, streams } from '@forge/domain';
import { encodePng, rgbImage, storeImage } from '@forge/imaging';
import { EVENT_STORE } from '../store/event-store.token';
import type { EventStore } from '../store/port';
import type { Harness } from './api-harness';

/** Registers `count` small real images as one dataset, the way an import records them. */
export async function registerTestImages(h: Harness, count: number): Promise<string[]> {
  const store = h.app.get<EventStore>(EVENT_STORE);
  const datasetId = randomUUID();
  const metadata = { actor: { kind: 'operator', id: 'fixture' }, reason: 'test images', correlationId: datasetId, causationId: datasetId, occurredAt: new Date().toISOString(), schemaVersion: CURRENT_SCHEMA_VERSION };
  const events = [{ id: randomUUID(), type: 'DatasetImported', data: { datasetId, name: 'fixture', source: 'fixture.csv', sourceSha256: '0'.repeat(64), imageCount: count }, metadata }];
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const img = rgbImage(8, 8, new Uint8Array(8 * 8 * 3).fill(20 + i));
    const { sha256 } = await storeImage(h.config.dataDir, await encodePng(img));
    const imageId = randomUUID();
    ids.push(imageId);
    events.push({
      id: randomUUID(),
      type: 'ImageRegistered',
      data: { imageId, datasetId, origin: 'real', sha256, width: 8, height: 8, modality: 'fundus', caption: `fixture ${i}`, labels: {} } as never,
      metadata,
    });
  }
  await store.append(streams.dataset(datasetId), events, 'no_stream');
  return ids;
}

/** Records `prompts.length` images made by one generator version, each in its own stream, the way generation records them. */
export async function registerGeneratedImages(h: Harness, generatorVersion: string, prompts: string[]): Promise<string[]> {
  const store = h.app.get<EventStore>(EVENT_STORE);
  const ids: string[] = [];
  for (const [i, prompt] of prompts.entries()) {
    const img = rgbImage(8, 8, new Uint8Array(8 * 8 * 3).fill(120 + i));
    const { sha256 } = await storeImage(h.config.dataDir, await encodePng(img));
    const imageId = randomUUID();
    const metadata = { actor: { kind: 'system' as const, id: 'fixture' }, reason: 'test generation', correlationId: imageId, occurredAt: new Date().toISOString() };
    const events = imageDecider.decide(
      { type: 'RegisterGeneratedImage', data: { imageId, requestId: null, prompt, seed: i, generatorVersion, sha256, width: 8, height: 8, modality: 'fundus', labels: {} }, metadata },
      imageDecider.initialState(),
    );
    await store.append(streams.image(imageId), events.map((e) => ({ id: randomUUID(), type: e.type, data: e.data as never, metadata: e.metadata as never })), 'no_stream');
    ids.push(imageId);
  }
  return ids;
}
