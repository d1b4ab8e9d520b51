// Anti-aliased drawing on float RGB buffers (values 0..1, interleaved, row-major).

/** Maps normalised FOV coordinates to pixels for a square image of `size` pixels. */
export interface Frame {
  size: number;
  cx: number;
  /** FOV radius in pixels. */
  R: number;
}

export function frameFor(size: number): Frame {
  return { size, cx: size / 2, R: size * 0.47 };
}

/**
 * Raises `cov` to the coverage of a capsule (segment with round ends) of full width `w` (FOV radii);
 * taking the maximum means overlapping pieces of one vessel do not darken their joints twice.
 */
export function capsuleCoverage(cov: Float32Array, f: Frame, x0: number, y0: number, x1: number, y1: number, w: number, strength = 1): void {
  const ax = f.cx + x0 * f.R;
  const ay = f.cx + y0 * f.R;
  const bx = f.cx + x1 * f.R;
  const by = f.cx + y1 * f.R;
  // Below a pixel, width turns into opacity so thin vessels fade instead of aliasing.
  const wPx = w * f.R;
  const half = Math.max(wPx, 0.8) / 2;
  const fade = Math.min(1, wPx / 0.8) * strength;
  const pad = half + 1;
  const xs = Math.max(0, Math.floor(Math.min(ax, bx) - pad));
  const xe = Math.min(f.size - 1, Math.ceil(Math.max(ax, bx) + pad));
  const ys = Math.max(0, Math.floor(Math.min(ay, by) - pad));
  const ye = Math.min(f.size - 1, Math.ceil(Math.max(ay, by) + pad));
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy || 1e-9;
  for (let y = ys; y <= ye; y++) {
    const py = y + 0.5 - ay;
    for (let x = xs; x <= xe; x++) {
      const px = x + 0.5 - ax;
      let t = (px * dx + py * dy) / len2;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = px - t * dx;
      const ey = py - t * dy;
      const d = Math.sqrt(ex * ex + ey * ey);
      let c = half + 0.5 - d;
      if (c <= 0) continue;
      c = (c > 1 ? 1 : c) * fade;
      const i = y * f.size + x;
      if (c > cov[i]) cov[i] = c;
    }
  }
}

export interface BlobStyle {
  /** Colour the blob moves towards. */
  rgb: [number, number, number];
  /** Peak opacity. */
  opacity: number;
  /** 0: hard anti-aliased edge; 1: Gaussian-like soft edge. */
  softness: number;
  /** Ellipse: semi-axes ratio (minor/major) and orientation of the major axis. */
  aspect?: number;
  angle?: number;
  /** Multiplies the target colour by the local brightness (keeps vignetting on lesions). */
  shade?: number;
}

/** Blends an elliptical blob centred at (x, y) with radius r (FOV radii) into the buffer. */
export function blob(img: Float32Array, f: Frame, x: number, y: number, r: number, s: BlobStyle, minPx = 0.6): void {
  const cx = f.cx + x * f.R;
  const cy = f.cx + y * f.R;
  const rPx = Math.max(r * f.R, minPx);
  const aspect = s.aspect ?? 1;
  const cos = Math.cos(s.angle ?? 0);
  const sin = Math.sin(s.angle ?? 0);
  const reach = rPx * (s.softness > 0 ? 1.6 : 1) + 1;
  const xs = Math.max(0, Math.floor(cx - reach));
  const xe = Math.min(f.size - 1, Math.ceil(cx + reach));
  const ys = Math.max(0, Math.floor(cy - reach));
  const ye = Math.min(f.size - 1, Math.ceil(cy + reach));
  const shade = s.shade ?? 1;
  for (let py = ys; py <= ye; py++) {
    for (let px = xs; px <= xe; px++) {
      const ox = px + 0.5 - cx;
      const oy = py + 0.5 - cy;
      const u = ox * cos + oy * sin;
      const v = (-ox * sin + oy * cos) / aspect;
      const d = Math.sqrt(u * u + v * v);
      const hard = Math.min(1, Math.max(0, rPx + 0.5 - d));
      const soft = Math.exp(-2 * (d / rPx) * (d / rPx));
      const a = s.opacity * (s.softness * soft + (1 - s.softness) * hard);
      if (a <= 0.002) continue;
      const i = (py * f.size + px) * 3;
      const lum = shade === 1 ? 1 : 1 - shade + shade * Math.min(1, (img[i] + img[i + 1] + img[i + 2]) / 1.25);
      img[i] += a * (s.rgb[0] * lum - img[i]);
      img[i + 1] += a * (s.rgb[1] * lum - img[i + 1]);
      img[i + 2] += a * (s.rgb[2] * lum - img[i + 2]);
    }
  }
}

/** Three box-blur passes per axis approximate a Gaussian of the given sigma (pixels). */
export function gaussianBlurRgb(img: Float32Array, size: number, sigma: number): void {
  if (sigma < 0.3) return;
  const w = Math.sqrt(4 * sigma * sigma + 1);
  const r = Math.max(1, Math.round((w - 1) / 2));
  const tmp = new Float32Array(size);
  for (let pass = 0; pass < 3; pass++) {
    for (let c = 0; c < 3; c++) {
      boxLines(img, size, r, c, 3, size * 3, tmp); // along x
      boxLines(img, size, r, c, size * 3, 3, tmp); // along y
    }
  }
}

/** Box blur of every line; `step` moves along a line, `lineStep` to the next line; edges clamp. */
function boxLines(img: Float32Array, size: number, r: number, c: number, step: number, lineStep: number, tmp: Float32Array): void {
  const norm = 1 / (2 * r + 1);
  for (let line = 0; line < size; line++) {
    const base = line * lineStep + c;
    let acc = 0;
    for (let k = -r; k <= r; k++) acc += img[base + Math.min(size - 1, Math.max(0, k)) * step];
    for (let i = 0; i < size; i++) {
      tmp[i] = acc * norm;
      const out = Math.max(0, i - r);
      const inn = Math.min(size - 1, i + r + 1);
      acc += img[base + inn * step] - img[base + out * step];
    }
    for (let i = 0; i < size; i++) img[base + i * step] = tmp[i];
  }
}

export function smoothstep(e0: number, e1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
}
