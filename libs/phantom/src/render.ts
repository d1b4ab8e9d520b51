import { createRng, mixSeed, Rng } from './prng';
import { blob, capsuleCoverage, Frame, frameFor, smoothstep } from './raster';
import { applyOpticalFaults, addNoise } from './faults';
import { sampleLabels, SceneOptions } from './scene';
import { growNewVessels, growVessels, VesselSegment } from './vessels';
import { clinicalCaption } from './caption';
import { Phantom, PhantomLabels } from './types';

export interface RenderOptions extends SceneOptions {
  seed: number;
  /** Square image side in pixels, 32–512. */
  size: number;
}

export const MIN_SIZE = 32;
export const MAX_SIZE = 512;

/** Renders one phantom fundus photograph with its true labels and a caption, deterministically from the seed. */
export function renderPhantom(options: RenderOptions): Phantom {
  const { seed, size } = options;
  if (!Number.isInteger(size) || size < MIN_SIZE || size > MAX_SIZE) throw new RangeError(`size must be an integer from ${MIN_SIZE} to ${MAX_SIZE}, got ${size}`);
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  // Independent streams, so e.g. a fault choice never shifts the vessel tree of the same seed.
  const labels = sampleLabels(createRng(mixSeed(seed, 1)), options);
  const vessels = growVessels(createRng(mixSeed(seed, 2)), labels);
  placeNicks(labels, vessels);
  const nv = labels.sites.find((s) => s.kind === 'neovascularisation');
  if (nv) vessels.push(...growNewVessels(createRng(mixSeed(seed, 3)), nv, nv.r));

  const f = frameFor(size);
  const img = new Float32Array(size * size * 3);
  const mask = new Float32Array(size * size);
  paintBackground(img, mask, f, labels, createRng(mixSeed(seed, 4)));
  paintVessels(img, f, vessels, labels);
  paintLesions(img, f, labels, createRng(mixSeed(seed, 5)));
  applyOpticalFaults(img, f, labels.faults, createRng(mixSeed(seed, 6)));
  for (let p = 0; p < mask.length; p++) {
    const m = mask[p];
    if (m < 1) {
      img[p * 3] *= m;
      img[p * 3 + 1] *= m;
      img[p * 3 + 2] *= m;
    }
  }
  addNoise(img, mask, labels.faults, createRng(mixSeed(seed, 7)));
  const rgb = new Uint8ClampedArray(img.length);
  for (let i = 0; i < img.length; i++) rgb[i] = Math.round(img[i] * 255);
  return { rgb, width: size, height: size, labels, caption: clinicalCaption(labels, createRng(mixSeed(seed, 8))) };
}

/** Background, choroidal texture, vignetting, macula, fovea, disc and cup; also fills the FOV mask. */
function paintBackground(img: Float32Array, mask: Float32Array, f: Frame, L: PhantomLabels, rng: Rng): void {
  const coarse = valueGrid(rng, 7);
  const fine = valueGrid(rng, 19);
  const pig = rng.range(-1, 1);
  const base = [0.8 + 0.06 * pig, 0.34 + 0.05 * pig, 0.14 + 0.03 * pig];
  const { disc, fovea } = L;
  const discRy = disc.r * 1.08;
  const inv = 1 / f.R;
  const edge = 1 / f.R;
  for (let y = 0; y < f.size; y++) {
    const ny = (y + 0.5 - f.cx) * inv;
    for (let x = 0; x < f.size; x++) {
      const nx = (x + 0.5 - f.cx) * inv;
      const r = Math.sqrt(nx * nx + ny * ny);
      const p = y * f.size + x;
      const m = Math.min(1, Math.max(0, (1 - r) / edge + 0.5));
      mask[p] = m;
      if (m === 0) continue;
      const tex = 0.12 * (sample(coarse, 7, nx, ny) - 0.5) + 0.08 * (sample(fine, 19, nx, ny) - 0.5);
      const vig = 1 - 0.38 * r * r;
      const fdx = nx - fovea.x;
      const fdy = ny - fovea.y;
      const fd2 = fdx * fdx + fdy * fdy;
      const mac = 1 - 0.28 * Math.exp(-fd2 / 0.03) - 0.15 * Math.exp(-fd2 / 0.0012);
      const k = vig * mac * (1 + tex);
      let R = base[0] * k;
      let G = base[1] * k * (1 - 0.5 * tex);
      let B = base[2] * k;
      const ddx = (nx - disc.x) / disc.r;
      const ddy = (ny - disc.y) / discRy;
      const dd = Math.sqrt(ddx * ddx + ddy * ddy);
      if (dd < 1.3) {
        const a = smoothstep(1.12, 0.92, dd);
        R += a * (0.96 - R);
        G += a * (0.72 - G);
        B += a * (0.47 - B);
        const c = smoothstep(1.12, 0.85, dd / L.cdr);
        R += c * (1.0 - R);
        G += c * (0.93 - G);
        B += c * (0.82 - B);
      }
      const i = p * 3;
      img[i] = R;
      img[i + 1] = G;
      img[i + 2] = B;
    }
  }
}

function paintVessels(img: Float32Array, f: Frame, vessels: VesselSegment[], L: PhantomLabels): void {
  const n = f.size * f.size;
  const veins = new Float32Array(n);
  const arteries = new Float32Array(n);
  const nicks = L.sites.filter((s) => s.kind === 'av_nicking');
  for (const v of vessels) {
    let w = v.w;
    if (v.kind === 'vein' && nicks.length) {
      // AV nicking: the vein narrows where a stiff arteriole crosses it.
      const mx = (v.x0 + v.x1) / 2;
      const my = (v.y0 + v.y1) / 2;
      for (const k of nicks) w *= 1 - 0.8 * Math.exp(-((mx - k.x) ** 2 + (my - k.y) ** 2) / (k.r * k.r));
    }
    capsuleCoverage(v.kind === 'vein' ? veins : arteries, f, v.x0, v.y0, v.x1, v.y1, w, v.kind === 'new' ? 0.8 : 1);
  }
  for (let p = 0; p < n; p++) {
    const cv = veins[p];
    const ca = arteries[p];
    if (cv === 0 && ca === 0) continue;
    const i = p * 3;
    // Multiplicative, so vessels keep the vignetting and stay visible on the pale disc.
    const kr = (1 - 0.42 * cv) * (1 - 0.22 * ca);
    const kg = (1 - 0.7 * cv) * (1 - 0.5 * ca);
    const kb = (1 - 0.55 * cv) * (1 - 0.4 * ca);
    img[i] *= kr;
    img[i + 1] *= kg;
    img[i + 2] *= kb;
  }
}

function paintLesions(img: Float32Array, f: Frame, L: PhantomLabels, rng: Rng): void {
  for (const s of L.sites) {
    switch (s.kind) {
      case 'microaneurysm':
        blob(img, f, s.x, s.y, s.r, { rgb: [0.52, 0.03, 0.025], opacity: 1, softness: 0.1, shade: 0.5 }, 0.9);
        break;
      case 'dot_blot_haemorrhage':
        blob(img, f, s.x, s.y, s.r, { rgb: [0.45, 0.025, 0.02], opacity: 0.97, softness: 0.25, aspect: rng.range(0.7, 1), angle: rng.range(0, Math.PI), shade: 0.5 }, 1.1);
        break;
      case 'flame_haemorrhage': {
        // Flame-shaped along the nerve fibre layer, which runs radially from the disc.
        const a = Math.atan2(s.y - L.disc.y, s.x - L.disc.x);
        blob(img, f, s.x, s.y, s.r, { rgb: [0.55, 0.03, 0.02], opacity: 0.95, softness: 0.35, aspect: 0.35, angle: a, shade: 0.5 }, 1.2);
        break;
      }
      case 'hard_exudate':
        blob(img, f, s.x, s.y, s.r, { rgb: [1.0, 0.9, 0.3], opacity: 0.97, softness: 0.1 }, 0.8);
        break;
      case 'cotton_wool_spot':
        blob(img, f, s.x, s.y, s.r, { rgb: [0.97, 0.93, 0.86], opacity: 0.85, softness: 0.85, aspect: rng.range(0.6, 0.9), angle: rng.range(0, Math.PI) }, 1.5);
        break;
      case 'drusen':
        blob(img, f, s.x, s.y, s.r, { rgb: [0.95, 0.78, 0.42], opacity: 0.7, softness: 0.7 }, 1);
        break;
      default:
        break; // drawn with the vessels or the disc
    }
  }
}

/** Moves AV-nicking sites onto real artery-over-vein crossings of this vessel tree. */
function placeNicks(L: PhantomLabels, vessels: VesselSegment[]): void {
  const nicks = L.sites.filter((s) => s.kind === 'av_nicking');
  if (!nicks.length) return;
  const mid = (v: VesselSegment) => ({ x: (v.x0 + v.x1) / 2, y: (v.y0 + v.y1) / 2 });
  const arteries = vessels.filter((v) => v.kind === 'artery').map(mid);
  const candidates: { x: number; y: number; d: number }[] = [];
  for (const v of vessels) {
    if (v.kind !== 'vein' || v.w < 0.008) continue;
    const m = mid(v);
    const fromDisc = Math.hypot(m.x - L.disc.x, m.y - L.disc.y);
    if (fromDisc < 0.2 || fromDisc > 0.7) continue;
    let best = Infinity;
    for (const a of arteries) best = Math.min(best, Math.hypot(a.x - m.x, a.y - m.y));
    candidates.push({ ...m, d: best });
  }
  candidates.sort((a, b) => a.d - b.d);
  const used: { x: number; y: number }[] = [];
  for (const n of nicks) {
    const c = candidates.find((c) => used.every((u) => Math.hypot(u.x - c.x, u.y - c.y) > 0.15));
    if (!c) break;
    used.push(c);
    n.x = c.x;
    n.y = c.y;
  }
}

/** Value noise: a (n+1)² grid of random values over [-1, 1]², bilinearly interpolated. */
function valueGrid(rng: Rng, n: number): Float32Array {
  const g = new Float32Array((n + 1) * (n + 1));
  for (let i = 0; i < g.length; i++) g[i] = rng.next();
  return g;
}

function sample(g: Float32Array, n: number, x: number, y: number): number {
  const gx = Math.min(n - 1e-6, Math.max(0, ((x + 1) / 2) * n));
  const gy = Math.min(n - 1e-6, Math.max(0, ((y + 1) / 2) * n));
  const ix = gx | 0;
  const iy = gy | 0;
  const fx = gx - ix;
  const fy = gy - iy;
  const r = n + 1;
  const a = g[iy * r + ix] + fx * (g[iy * r + ix + 1] - g[iy * r + ix]);
  const b = g[(iy + 1) * r + ix] + fx * (g[(iy + 1) * r + ix + 1] - g[(iy + 1) * r + ix]);
  return a + fy * (b - a);
}
