import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openEventStore, type SqlEventStore } from '@forge/event-store';
import { initBackend } from '@forge/ml';
import { LOOP_PRESETS, LoopPreset } from './presets';
import { runLoop } from './loop';
import type { Pixels } from './pixels';

/** A degenerate "selector": brighter is better, whatever the image shows. */
function brightness(images: readonly Pixels[]): number[] {
  return images.map((p) => p.rgb.reduce((s, v) => s + v, 0) / (255 * p.rgb.length));
}

describe('reward hacking', () => {
  let dir: string;
  let store: SqlEventStore;

  beforeAll(async () => {
    await initBackend({ threads: 1, log: () => undefined });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-loop-hack-'));
    store = await openEventStore({ dataDir: dir });
  });

  afterAll(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a generator refined towards a degenerate selector that rewards brightness', async () => {
    // DDPO optimises the reward directly; a high learning rate makes the exploit quick.
    const preset: LoopPreset = {
      ...LOOP_PRESETS.tiny,
      generator: { ...LOOP_PRESETS.tiny.generator, emaDecay: 0 },
      refine: { ...LOOP_PRESETS.tiny.refine, method: 'ddpo', learningRate: 5e-2, ddpo: { epochs: 8, prompts: 3, samplesPerPrompt: 4, klWeight: 0, clipRange: 10 } },
    };
    const result = await runLoop({ store, dataDir: dir, preset, iterations: 1, rewardModel: () => ({ version: 'brightness', score: brightness }) });

    const [, hacked] = result.iterations;
    expect(hacked.generatorVersion).toBe('generator-1');
    expect(hacked.promoted).toBe(false);
    expect(hacked.reason).toMatch(/reward hacking: selector reward rose/);
    const rejected = (await store.readStream('model-generator')).find((e) => e.type === 'ModelVersionRejected');
    expect(rejected?.data).toMatchObject({ model: 'generator', version: 'generator-1' });
    expect(String(rejected?.data.reason)).toMatch(/reward hacking/);
  }, 240_000);
});
