import { findingsFromCaption } from './caption';
import { boxBlur, fieldOfView, FieldOfView, maskedBoxMean, Planes, quantile, toPlanes } from './judge-features';
import { FindingKind, RgbPixels } from './types';

// The held-out yardstick: scores any RGB image from its pixels. Nothing that learns may train on it.

export interface QualityReport {
  /** 0..1: plausibility as a fundus photograph times freedom from acquisition faults. */
  quality: number;
  plausibility: number;
  components: {
    fieldOfView: number;
    colour: number;
    vessels: number;
    disc: number;
    /** Estimated fault severities, 0 = none. */
    noise: number;
    blur: number;
    unevenness: number;
    underExposure: number;
    artefacts: number;
  };
}

/** Detectable finding groups (microaneurysms and dot/blot haemorrhages differ only in size, so they form one group). */
export type FindingGroup = 'red_dots' | 'flame_haemorrhages' | 'hard_exudates' | 'cotton_wool' | 'drusen' | 'enlarged_cup';
export const FINDING_GROUPS: readonly FindingGroup[] = ['red_dots', 'flame_haemorrhages', 'hard_exudates', 'cotton_wool', 'drusen', 'enlarged_cup'];

const GROUP_OF: Partial<Record<FindingKind, FindingGroup>> = {
  microaneurysm: 'red_dots',
  dot_blot_haemorrhage: 'red_dots',
  flame_haemorrhage: 'flame_haemorrhages',
  hard_exudate: 'hard_exudates',
  cotton_wool_spot: 'cotton_wool',
  drusen: 'drusen',
  enlarged_cup: 'enlarged_cup',
};

export interface FindingsReport {
  /** Evidence per group, 0..1 (a soft "present"). */
  evidence: Record<FindingGroup, number>;
  /** Raw measurements behind the evidence. */
  measures: { redDots: number; flames: number; exudatePixels: number; cottonWoolPixels: number; drusenPixels: number; cdr: number };
  disc: { x: number; y: number; r: number } | null;
}

interface Analysis {
  P: Planes;
  fov: FieldOfView;
  bg: { r: Float32Array; g: Float32Array; b: Float32Array };
  disc: { x: number; y: number; r: number; contrast: number };
}

function analyse(img: RgbPixels): Analysis {
  const P = toPlanes(img);
  const fov = fieldOfView(P);
  const rad = Math.max(2, Math.round(fov.radius * 0.12));
  const bg = { r: maskedBoxMean(P.r, fov.interior, P.size, rad), g: maskedBoxMean(P.g, fov.interior, P.size, rad), b: maskedBoxMean(P.b, fov.interior, P.size, rad) };
  return { P, fov, bg, disc: findDisc(P, fov) };
}

/** The disc is the brightest region of disc size inside the field of view. */
function findDisc(P: Planes, fov: FieldOfView): Analysis['disc'] {
  const { size } = P;
  const sm = Float32Array.from(P.lum);
  const rad = Math.max(1, Math.round(fov.radius * 0.08));
  boxBlur(sm, size, rad);
  let best = -1;
  let bx = size / 2;
  let by = size / 2;
  const inLum: number[] = [];
  for (let p = 0; p < sm.length; p++) {
    if (!fov.interior[p]) continue;
    inLum.push(P.lum[p]);
    if (sm[p] > best) {
      best = sm[p];
      bx = p % size;
      by = (p / size) | 0;
    }
  }
  const med = quantile(inLum, 0.5);
  return { x: bx + 0.5, y: by + 0.5, r: fov.radius * 0.13, contrast: med > 0 ? best / med : 0 };
}

export function judgeQuality(img: RgbPixels): QualityReport {
  return qualityOf(analyse(img));
}

/** Quality and caption match from one analysis of the pixels (what the panel asks for). */
export function judgeImage(img: RgbPixels, caption: string): { quality: QualityReport; findings: FindingsReport; match: number } {
  const A = analyse(img);
  const findings = findingsOf(A);
  return { quality: qualityOf(A), findings, match: matchFindings(findings, findingsFromCaption(caption)) };
}

function qualityOf(A: Analysis): QualityReport {
  const { P, fov } = A;
  const { size } = P;
  let sr = 0;
  let sg = 0;
  let sb = 0;
  let count = 0;
  for (let p = 0; p < fov.interior.length; p++) {
    if (!fov.interior[p]) continue;
    sr += P.r[p];
    sg += P.g[p];
    sb += P.b[p];
    count++;
  }
  const mr = count ? sr / count : 0;
  const mg = count ? sg / count : 0;
  const mb = count ? sb / count : 0;
  // A fundus is orange-red: red well above green, green above blue.
  const rg = Math.log((mr + 0.01) / (mg + 0.01));
  const gb = Math.log((mg + 0.01) / (mb + 0.01));
  const colour = Math.exp(-(((rg - 0.85) / 0.45) ** 2)) * Math.exp(-(((gb - 0.75) / 0.6) ** 2));

  const noiseSd = estimateNoise(P.g, fov.interior, size);
  const noise = Math.max(0, noiseSd / 0.14);

  const sharp = sharpness(P, fov);
  const blur = clamp01((0.5 - sharp) / 0.35) * 1.2;

  const unevenness = illuminationSpread(P, fov);
  const uneven = Math.max(0, (unevenness - 0.18) / 1.2);

  const medLum = quantile(P.lum.filter((_, p) => fov.interior[p] === 1), 0.5);
  const underExposure = Math.max(0, (0.34 - medLum) / 0.25);

  const artefactFrac = greyDarkFraction(A);
  const artefacts = Math.max(0, (artefactFrac - 0.002) / 0.015);

  const vesselFrac = darkStructureFraction(A);
  const vessels = clamp01(vesselFrac / 0.012) * clamp01((0.3 - vesselFrac) / 0.1);
  const disc = clamp01((A.disc.contrast - 1.1) / 0.4);

  const plausibility = fov.score * colour * (0.4 + 0.6 * vessels) * (0.5 + 0.5 * disc);
  const faults = noise + blur + uneven + underExposure + artefacts;
  const quality = plausibility * Math.exp(-1.2 * faults);
  return {
    quality,
    plausibility,
    components: { fieldOfView: fov.score, colour, vessels, disc, noise, blur, unevenness: uneven, underExposure, artefacts },
  };
}

/** Immerkær's noise estimate, made robust to edges with a median: sd ≈ median|L*N| / (0.6745·6). */
function estimateNoise(a: Float32Array, mask: Uint8Array, size: number): number {
  const vals: number[] = [];
  for (let y = 1; y < size - 1; y++) {
    for (let x = 1; x < size - 1; x++) {
      const p = y * size + x;
      if (!mask[p]) continue;
      const v =
        a[p - size - 1] - 2 * a[p - size] + a[p - size + 1] - 2 * a[p - 1] + 4 * a[p] - 2 * a[p + 1] + a[p + size - 1] - 2 * a[p + size] + a[p + size + 1];
      vals.push(Math.abs(v));
    }
  }
  return quantile(vals, 0.5) / (0.6745 * 6);
}

/** Fine detail that survives denoising, relative to the local brightness: vessel edges in focus score high. */
function sharpness(P: Planes, fov: FieldOfView): number {
  const { size } = P;
  const s = Float32Array.from(P.g);
  boxBlur(s, size, 1);
  const mean = quantile(P.g.filter((_, p) => fov.interior[p] === 1), 0.5) || 1e-3;
  const grads: number[] = [];
  // Gradients per pixel shrink as the image grows; below 128 px edges are already about a pixel wide.
  const scale = Math.max(1, size / 128);
  for (let y = 1; y < size - 1; y++) {
    for (let x = 1; x < size - 1; x++) {
      const p = y * size + x;
      if (!fov.interior[p]) continue;
      grads.push(Math.hypot(s[p + 1] - s[p - 1], s[p + size] - s[p - size]) * scale);
    }
  }
  return quantile(grads, 0.98) / mean;
}

/** Spread of median brightness between eight sectors of the field, relative to the overall median. */
function illuminationSpread(P: Planes, fov: FieldOfView): number {
  const sectors: number[][] = Array.from({ length: 8 }, () => []);
  for (let y = 0; y < P.size; y++) {
    for (let x = 0; x < P.size; x++) {
      const p = y * P.size + x;
      if (!fov.interior[p]) continue;
      const dx = x + 0.5 - fov.cx;
      const dy = y + 0.5 - fov.cy;
      const d = Math.hypot(dx, dy) / fov.radius;
      if (d < 0.35) continue;
      const k = Math.floor(((Math.atan2(dy, dx) + Math.PI) / (2 * Math.PI)) * 8) % 8;
      sectors[k].push(P.lum[p]);
    }
  }
  const meds = sectors.filter((s) => s.length > 4).map((s) => quantile(s, 0.5));
  if (meds.length < 4) return 1;
  const all = meds.reduce((a, b) => a + b, 0) / meds.length;
  return all > 0 ? (Math.max(...meds) - Math.min(...meds)) / all : 1;
}

/** Grey, dark pixels inside the field: eyelashes and dust, which have none of the fundus's red. */
function greyDarkFraction(A: Analysis): number {
  const { P, fov, bg } = A;
  let n = 0;
  let hit = 0;
  for (let p = 0; p < fov.interior.length; p++) {
    if (!fov.interior[p]) continue;
    n++;
    if (P.lum[p] < 0.75 * (0.299 * bg.r[p] + 0.587 * bg.g[p] + 0.114 * bg.b[p]) && P.r[p] < 1.6 * P.g[p] + 0.02) hit++;
  }
  return n ? hit / n : 0;
}

/** Pixels clearly darker than their surround in green: vessels (and red lesions). */
function darkStructureFraction(A: Analysis): number {
  const { P, fov, bg } = A;
  let n = 0;
  let hit = 0;
  for (let p = 0; p < fov.interior.length; p++) {
    if (!fov.interior[p]) continue;
    n++;
    if (P.g[p] < 0.8 * bg.g[p]) hit++;
  }
  return n ? hit / n : 0;
}

export function detectFindings(img: RgbPixels): FindingsReport {
  return findingsOf(analyse(img));
}

function findingsOf(A: Analysis): FindingsReport {
  const { P, fov, bg, disc } = A;
  const { size } = P;
  const R = fov.radius || 1;
  const area = Math.PI * R * R;
  const dark = new Uint8Array(size * size);
  let exudate = 0;
  let cotton = 0;
  let drusen = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const p = y * size + x;
      if (!fov.interior[p]) continue;
      if (Math.hypot(x + 0.5 - disc.x, y + 0.5 - disc.y) < disc.r * 1.7) continue;
      const g = P.g[p];
      const gRatio = g / (bg.g[p] + 0.01);
      if (gRatio > 1.45 && g > 0.25) {
        const bOverG = P.b[p] / (g + 1e-3);
        if (bOverG > 0.66) cotton++;
        else if (bOverG > 0.46) drusen++;
        else exudate++;
      } else if (gRatio < 0.5 && P.r[p] > 6.5 * (g + 0.01)) {
        // Blood outside vessels is deeper red than a vein: red stays up while green all but vanishes.
        dark[p] = 1;
      }
    }
  }
  const { dots: redDots, flames } = redBlobs(dark, size, R);
  const cdr = cupToDisc(A);
  const px = (n: number) => n / area / 0.001; // per mille of the field
  const measures = { redDots, flames, exudatePixels: px(exudate), cottonWoolPixels: px(cotton), drusenPixels: px(drusen), cdr };
  const evidence: Record<FindingGroup, number> = {
    red_dots: clamp01((redDots - 0.5) / 2.5),
    flame_haemorrhages: clamp01((flames - 0.5) / 1.5),
    hard_exudates: clamp01((measures.exudatePixels - 0.3) / 1.2),
    cotton_wool: clamp01((measures.cottonWoolPixels - 0.3) / 2),
    drusen: clamp01((measures.drusenPixels - 0.5) / 3),
    enlarged_cup: clamp01((cdr - 0.42) / 0.12),
  };
  return { evidence, measures, disc: { x: disc.x / size, y: disc.y / size, r: disc.r / size } };
}

/**
 * Splits dark-red components into round dots (microaneurysms, dot/blot haemorrhages) and elongated flames,
 * by the ratio of the axes of each component's second moments; large ones are not lesions.
 */
function redBlobs(mask: Uint8Array, size: number, R: number): { dots: number; flames: number } {
  const seen = new Uint8Array(mask.length);
  const stack: number[] = [];
  let dots = 0;
  let flames = 0;
  const maxArea = Math.PI * (0.06 * R) ** 2;
  for (let s = 0; s < mask.length; s++) {
    if (!mask[s] || seen[s]) continue;
    let n = 0;
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let syy = 0;
    let sxy = 0;
    stack.push(s);
    seen[s] = 1;
    while (stack.length) {
      const p = stack.pop()!;
      const x = p % size;
      const y = (p / size) | 0;
      n++;
      sx += x;
      sy += y;
      sxx += x * x;
      syy += y * y;
      sxy += x * y;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= size) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= size) continue;
          const q = yy * size + xx;
          if (mask[q] && !seen[q]) {
            seen[q] = 1;
            stack.push(q);
          }
        }
      }
    }
    if (n > maxArea) continue;
    // Pixel variance 1/12 keeps one-pixel components round.
    const cxx = sxx / n - (sx / n) ** 2 + 1 / 12;
    const cyy = syy / n - (sy / n) ** 2 + 1 / 12;
    const cxy = sxy / n - (sx / n) * (sy / n);
    const tr = cxx + cyy;
    const disc = Math.sqrt(Math.max(0, ((cxx - cyy) / 2) ** 2 + cxy * cxy));
    const elongation = Math.sqrt((tr / 2 + disc) / Math.max(1e-6, tr / 2 - disc));
    if (n >= 4 && elongation > 2) flames++;
    else dots++;
  }
  return { dots, flames };
}

/** Vertical cup-to-disc ratio from the pale (blue-rich) cup inside the bright disc. */
function cupToDisc(A: Analysis): number {
  const { P, disc } = A;
  const { size } = P;
  const reach = Math.ceil(disc.r * 2);
  let discPx = 0;
  let cupPx = 0;
  for (let y = Math.max(0, Math.floor(disc.y - reach)); y < Math.min(size, disc.y + reach); y++) {
    for (let x = Math.max(0, Math.floor(disc.x - reach)); x < Math.min(size, disc.x + reach); x++) {
      const p = y * size + x;
      const ratio = P.b[p] / (P.r[p] + 1e-3);
      if (ratio > 0.4 && P.lum[p] > 0.3) discPx++;
      if (ratio > 0.68 && P.lum[p] > 0.3) cupPx++;
    }
  }
  return discPx ? Math.sqrt(cupPx / discPx) : 0;
}

/**
 * How well an image matches what its caption claims, 0..1: for each detectable group, agreement between
 * "the caption claims it" and the pixel evidence. Claims the pixels cannot check are left out.
 */
export function judgeMatch(img: RgbPixels, caption: string): number {
  return matchFindings(detectFindings(img), findingsFromCaption(caption));
}

/** The groups a set of claimed findings maps to (claims with no pixel test are dropped). */
export function claimedGroups(claimed: Iterable<FindingKind>): Set<FindingGroup> {
  const out = new Set<FindingGroup>();
  for (const k of claimed) {
    const g = GROUP_OF[k];
    if (g) out.add(g);
  }
  return out;
}

export function matchFindings(report: FindingsReport, claimed: Set<FindingKind>): number {
  const groups = claimedGroups(claimed);
  let sum = 0;
  for (const g of FINDING_GROUPS) sum += 1 - Math.abs((groups.has(g) ? 1 : 0) - report.evidence[g]);
  return sum / FINDING_GROUPS.length;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
