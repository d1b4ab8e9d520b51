import { initBackend, rocAuc } from '@forge/ml';
import { phantomSeed, renderPhantom } from '@forge/phantom';
import { inChunks } from './pixels';
import { LOOP_PRESETS } from './presets';
import { newPolicy, pretrainTextEncoder, RatedSet, trainFundusEncoder, trainPolicy, type DiagnosedImages } from './training';

const PRESET = LOOP_PRESETS.demo;

function phantoms(n: number, seed: number) {
  return Array.from({ length: n }, (_, i) => renderPhantom({ seed: phantomSeed(seed, i), size: PRESET.size }));
}

type Phantom = ReturnType<typeof phantoms>[number];

/** Vessel-calibre findings (arteriolar narrowing, AV nicking): under a pixel at 32 px, so mild hypertensive retinopathy looks normal. */
const SUB_PIXEL = new Set(['arteriolar_narrowing', 'av_nicking']);
const visibleFindings = (p: Phantom) => p.labels.findings.filter((f) => !SUB_PIXEL.has(f)).sort().join(' ');

/**
 * Every phantom twice: with its own caption (r̂ = 1) and with the caption of the next phantom of another
 * diagnosis (r̂ = 0); `visible` also asks that phantom to differ in a finding visible at this size.
 */
function captionPairs(ps: Phantom[], visible = false): RatedSet {
  const n = ps.length;
  const set: RatedSet = { pixels: [], captions: [], quality: [], alignment: [] };
  ps.forEach((p, i) => {
    let j = (i + 1) % n;
    while (ps[j].labels.diagnosis === p.labels.diagnosis || (visible && visibleFindings(ps[j]) === visibleFindings(p))) j = (j + 1) % n;
    const pixels = { rgb: p.rgb, width: p.width, height: p.height };
    set.pixels.push(pixels, pixels);
    set.captions.push(p.caption, ps[j].caption);
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

  // The loop's path: the policy's image tower starts from the fundus encoder (trained on the real
  // phantoms' diagnoses), its own copy of the text encoder is fine-tuned, and stage 1 adds fresh
  // contrastive pairs of real images (own caption or another diagnosis's) to the rated pairs.
  // Held-out mismatches also differ in a finding visible at 32 px; the AUC over every mismatch is printed too.
  it('separates matching from mismatched captions on held-out phantoms (AUC ≥ 0.85)', () => {
    const trainPhantoms = phantoms(256, 1);
    const real: DiagnosedImages = { pixels: trainPhantoms.map((p) => ({ rgb: p.rgb, width: p.width, height: p.height })), captions: trainPhantoms.map((p) => p.caption), diagnoses: trainPhantoms.map((p) => p.labels.diagnosis) };
    const rated = captionPairs(trainPhantoms);
    const testPhantoms = phantoms(96, 777);
    const heldOut = captionPairs(testPhantoms, true);
    const heldOutAll = captionPairs(testPhantoms);
    const { text } = pretrainTextEncoder(PRESET, real.captions, 1);
    const { encoder } = trainFundusEncoder(PRESET, real, 3);
    const policy = newPolicy(PRESET, text, 4, encoder);
    const before = heldOutAuc(policy, heldOut);
    const steps = 300;
    const result = trainPolicy(policy, { ...rated, real }, 1, undefined, steps, PRESET.policy.batch, 5);
    const auc = heldOutAuc(policy, heldOut);
    const aucAll = heldOutAuc(policy, heldOutAll);
    console.log(`policy on phantoms (${rated.pixels.length} rated pairs + ${real.pixels.length} real images, ${steps} steps of ${PRESET.policy.batch}): loss ${result.loss.toFixed(3)}; held-out AUC ${before.toFixed(3)} -> ${auc.toFixed(3)} (${heldOut.pixels.length} pairs), ${aucAll.toFixed(3)} over every mismatch`);
    policy.dispose();
    encoder.dispose();
    text.dispose();
    expect(auc).toBeGreaterThanOrEqual(0.85);
  }, 120_000);
});
