import { createHash } from 'node:crypto';
import { datasetDecider, streams, type ImageRegistration } from '@forge/domain';
import { storeImage } from '@forge/imaging';
import { imageIdFor, uuidFromName } from '@forge/ingest';
import { phantomSeed, renderPhantom } from '@forge/phantom';
import type { LoopPreset } from './presets';
import { Pixels, pngOf } from './pixels';
import { handle, Recorder, systemMetadata } from './record';

export type PhantomLabels = ReturnType<typeof renderPhantom>['labels'];

/** A real (phantom) image with what is known for sure about it. */
export interface RealImage {
  imageId: string;
  sha256: string;
  caption: string;
  pixels: Pixels;
  labels: PhantomLabels;
  split: 'train' | 'heldout';
}

export interface PhantomWorld {
  datasetId: string;
  train: RealImage[];
  /** Held-out images: their captions are the fixed evaluation prompts, their pixels the FD reference. */
  heldOut: RealImage[];
}

/** Phantoms are deterministic in their seed, so the world is rebuilt identically on every restart. */
export async function renderWorld(preset: LoopPreset, dataDir: string): Promise<PhantomWorld> {
  {
    const { seed, realImages, heldOutPrompts } = preset.world;
    const all: RealImage[] = [];
    for (let i = 0; i < realImages + heldOutPrompts; i++) {
      const p = renderPhantom({ seed: phantomSeed(seed, i), size: preset.size });
      const pixels = { rgb: p.rgb, width: p.width, height: p.height };
      const { sha256 } = await storeImage(dataDir, await pngOf(pixels));
      all.push({ imageId: imageIdFor(sha256), sha256, caption: p.caption, pixels, labels: p.labels, split: i < realImages ? 'train' : 'heldout' });
    }
    return { datasetId: uuidFromName(`forge-loop/phantom-world/${preset.name}/${seed}/${preset.size}`), train: all.filter((r) => r.split === 'train'), heldOut: all.filter((r) => r.split === 'heldout') };
  }
}

function registration(r: RealImage): ImageRegistration {
  const l = r.labels;
  return {
    imageId: r.imageId,
    origin: 'real',
    sha256: r.sha256,
    width: r.pixels.width,
    height: r.pixels.height,
    modality: 'fundus',
    caption: r.caption,
    labels: { split: r.split, diagnosis: l.diagnosis, grade: l.grade, quality: l.quality, findings: l.findings.join(' '), faults: l.faults.map((f) => f.fault).join(' ') },
  };
}

/** Step 1: the phantom world registered as one dataset (skipped when it is already recorded). */
export async function registerWorld(recorder: Recorder, world: PhantomWorld): Promise<number> {
  const stream = streams.dataset(world.datasetId);
  const existing = await recorder.store.readStream(stream);
  if (existing.length > 0) return existing[existing.length - 1].position;
  const images = [...world.train, ...world.heldOut].map(registration);
  const manifest = createHash('sha256').update(images.map((i) => i.sha256).join('\n')).digest('hex');
  const appended = await handle(recorder, stream, datasetDecider, {
    type: 'ImportDataset',
    data: { datasetId: world.datasetId, name: 'phantom world', source: 'forge-loop phantom world', sourceSha256: manifest, images },
    metadata: systemMetadata(recorder, 'loop: the phantom world (training images and held-out evaluation prompts)'),
  });
  return appended[appended.length - 1].position;
}
