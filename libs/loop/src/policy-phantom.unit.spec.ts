import { initBackend, rocAuc } from '@forge/ml';
import { phantomSeed, renderPhantom } from '@forge/phantom';
import { inChunks } from './pixels';
import { LOOP_PRESETS } from './presets';
import { newPolicy, pretrainTextEncoder, RatedSet, trainPolicy } from './training';

const PRESET = LOOP_PRESETS.demo;

/** Every phantom twice: with its own caption (r̂ = 1) and with the caption of the next phantom of another diagnosis (r̂ = 0). */
function captionPairs(n: number, seed: number): RatedSet {
  const phantoms = Array.from({ length: n }, (_, i) => renderPhantom({ seed: phantomSeed(seed, i), size: PRESET.size }));
  const set: RatedSet = { pixels: [], captions: [], quality: [], alignment: [] };
  phantoms.forEach((p, i) => {
    let j = (i + 1) % n;
    while (phantoms[j].labels.diagnosis === p.labels.diagnosis) j = (j + 1) % n;
    const pixels = { rgb: p.rgb, width: p.width, height: p.height };
    set.pixels.push(pixels, pixels);
    set.captions.push(p.caption, phantoms[j].caption);
    set.quality.push(p.labels.quality, p.labels.quality);
    set.alignment.push(1, 0);
  });
  return set;
}

function heldOutAuc(policy: ReturnType<typeof newPolicy>, set: RatedSet): number {
  const scores = inChunks(set.pixels, 32, (batch, from) => Array.from(policy.score(batch, set.captions.slice(from, from + batch.shape[0]))));
  return rocAuc(scores, set.alignment);
}

describe('policy on phantom image–caption pairs (the loop demo preset)', () => {
  beforeAll(() => initBackend({ threads: 1, log: () => undefined }));

  // Known gap, kept as `it.failing` so the figure prints on every run and the test flips when it closes.
  // The loop's path (frozen MLM text encoder, mean-pooled, concatenated with a ViT trained from scratch)
  // stays near chance (held-out AUC 0.50–0.60 after 100–600 steps, frozen or fine-tuned text, lr 1e-3 or
  // 3e-3, even with short captions). In a trial, the ViT initialised from the fundus encoder plus a
  // fine-tuned text encoder reached 0.83–0.85 (512 phantoms, fresh mismatches every step, 400 steps);
  // the pixel judge's own match score reaches 0.79 on such pairs at 32 px (hypertensive vs normal is
  // invisible at this size). When this test starts failing, make it an `it`.
  it.failing('separates matching from mismatched captions on held-out phantoms (AUC ≥ 0.85)', () => {
    const train = captionPairs(256, 1);
    const heldOut = captionPairs(96, 777);
    const { text } = pretrainTextEncoder(PRESET, train.captions.filter((_, i) => train.alignment[i] === 1), 1);
    const policy = newPolicy(PRESET, text, 4);
    const before = heldOutAuc(policy, heldOut);
    const steps = 200;
    const result = trainPolicy(policy, train, 1, undefined, steps, PRESET.policy.batch, 5);
    const auc = heldOutAuc(policy, heldOut);
    console.log(`policy on phantoms (${train.pixels.length} training pairs, ${steps} steps of ${PRESET.policy.batch}): loss ${result.loss.toFixed(3)}; held-out AUC ${before.toFixed(3)} -> ${auc.toFixed(3)} (${heldOut.pixels.length} pairs)`);
    policy.dispose();
    text.dispose();
    expect(auc).toBeGreaterThanOrEqual(0.85);
  }, 120_000);
});
