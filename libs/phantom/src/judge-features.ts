import { pixelsOf, RgbPixels } from './types';

// Pixel measurements the judge is built from. Everything here reads pixels only, never labels.

export interface Planes {
  size: number;
  r: Float32Array;
  g: Float32Array;
  b: Float32Array;
  /** 0..1 luma (ITU-R 601). */
  lum: Float32Array;
}

const MAX_WORK = 256;

/** Float planes of a square working copy (box-averaged down to at most 256 px; non-square images are centre-cropped). */
export function toPlanes(img: RgbPixels): Planes {
  const { width, height } = img;
  const rgb = pixelsOf(img);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 8 || height < 8) throw new RangeError(`image must be at least 8×8, got ${width}×${height}`);
  if (rgb.length !== width * height * 3) throw new RangeError(`expected ${width * height * 3} RGB bytes for ${width}×${height}, got ${rgb.length}`);
  const side = Math.min(width, height);
  const f = Math.max(1, Math.ceil(side / MAX_WORK));
  const size = Math.floor(side / f);
  const x0 = Math.floor((width - size * f) / 2);
  const y0 = Math.floor((height - size * f) / 2);
  const n = size * size;
  const r = new Float32Array(n);
  const g = new Float32Array(n);
  const b = new Float32Array(n);
  const lum = new Float32Array(n);
  const norm = 1 / (255 * f * f);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let sr = 0;
      let sg = 0;
      let sb = 0;
      for (let dy = 0; dy < f; dy++) {
        let i = ((y0 + y * f + dy) * width + x0 + x * f) * 3;
        for (let dx = 0; dx < f; dx++, i += 3) {
          sr += rgb[i];
          sg += rgb[i + 1];
          sb += rgb[i + 2];
        }
      }
      const p = y * size + x;
      r[p] = sr * norm;
      g[p] = sg * norm;
      b[p] = sb * norm;
      lum[p] = 0.299 * r[p] + 0.587 * g[p] + 0.114 * b[p];
    }
  }
  return { size, r, g, b, lum };
}

/** Box mean of radius rad, computed only over pixels where mask > 0 (normalised convolution). */
export function maskedBoxMean(src: Float32Array, mask: Uint8Array, size: number, rad: number): Float32Array {
  const num = new Float32Array(size * size);
  const den = new Float32Array(size * size);
  for (let i = 0; i < num.length; i++) {
    if (mask[i]) {
      num[i] = src[i];
      den[i] = 1;
    }
  }
  boxBlur(num, size, rad);
  boxBlur(den, size, rad);
  for (let i = 0; i < num.length; i++) num[i] = den[i] > 1e-3 ? num[i] / den[i] : 0;
  return num;
}

/** In-place box blur of a single plane, separable, clamped edges. */
export function boxBlur(a: Float32Array, size: number, rad: number): void {
  if (rad < 1) return;
  const tmp = new Float32Array(size);
  const norm = 1 / (2 * rad + 1);
  for (let pass = 0; pass < 2; pass++) {
    const step = pass === 0 ? 1 : size;
    const lineStep = pass === 0 ? size : 1;
    for (let line = 0; line < size; line++) {
      const base = line * lineStep;
      let acc = 0;
      for (let k = -rad; k <= rad; k++) acc += a[base + Math.min(size - 1, Math.max(0, k)) * step];
      for (let i = 0; i < size; i++) {
        tmp[i] = acc * norm;
        acc += a[base + Math.min(size - 1, i + rad + 1) * step] - a[base + Math.max(0, i - rad) * step];
      }
      for (let i = 0; i < size; i++) a[base + i * step] = tmp[i];
    }
  }
}

/** The q-quantile (nearest rank below) by quickselect on a copy: O(n), no full sort. */
export function quantile(values: Float32Array | number[], q: number): number {
  if (values.length === 0) return 0;
  const a = Float32Array.from(values);
  const k = Math.min(a.length - 1, Math.max(0, Math.floor(q * (a.length - 1))));
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k];
}

export interface FieldOfView {
  cx: number;
  cy: number;
  radius: number;
  /** 1 inside the detected circle, shrunk a little so the rim does not count. */
  interior: Uint8Array;
  /** How much the image looks like a bright disc on black: 0..1. */
  score: number;
}

/** Finds the bright circular field of view on its black surround. */
export function fieldOfView(P: Planes): FieldOfView {
  const { size, lum } = P;
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      if (lum[y * size + x] > 0.035) {
        n++;
        sx += x;
        sy += y;
      }
  const cx = n ? sx / n : size / 2;
  const cy = n ? sy / n : size / 2;
  const radius = Math.sqrt(n / Math.PI);
  const interior = new Uint8Array(size * size);
  let inBright = 0;
  let inAll = 0;
  let outDark = 0;
  let outAll = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
      const p = y * size + x;
      if (d < radius * 0.92) {
        interior[p] = 1;
        inAll++;
        if (lum[p] > 0.035) inBright++;
      } else if (d > radius * 1.08) {
        outAll++;
        if (lum[p] <= 0.035) outDark++;
      }
    }
  }
  const frac = n / (size * size);
  // A photograph's FOV fills a good part of the frame and leaves black corners.
  const sizeOk = frac < 0.2 ? frac / 0.2 : frac > 0.9 ? Math.max(0, (1 - frac) / 0.1) : 1;
  const score = (inAll ? inBright / inAll : 0) * (outAll ? outDark / outAll : 0) * sizeOk;
  return { cx, cy, radius, interior, score };
}
