import { Rng } from './prng';
import { capsuleCoverage, Frame, blob, gaussianBlurRgb } from './raster';
import { FaultSeverity } from './types';

/** Applies the acquisition faults before the field-of-view mask (noise is added after it, see addNoise). */
export function applyOpticalFaults(img: Float32Array, f: Frame, faults: FaultSeverity[], rng: Rng): void {
  const sev = (name: string) => faults.find((x) => x.fault === name)?.severity ?? 0;
  const artefacts = sev('artefacts');
  if (artefacts > 0) drawArtefacts(img, f, artefacts, rng);
  const uneven = sev('uneven_illumination');
  if (uneven > 0) {
    // A light gradient across the field with a washed-out crescent on the bright side.
    const a = rng.range(0, 2 * Math.PI);
    const dx = Math.cos(a);
    const dy = Math.sin(a);
    for (let y = 0; y < f.size; y++) {
      const ny = (y + 0.5 - f.cx) / f.R;
      for (let x = 0; x < f.size; x++) {
        const nx = (x + 0.5 - f.cx) / f.R;
        const t = dx * nx + dy * ny;
        const gain = Math.max(0.08, 1 + uneven * 0.95 * t);
        const haze = uneven * 0.35 * Math.max(0, t) ** 2;
        const i = (y * f.size + x) * 3;
        img[i] = img[i] * gain + haze;
        img[i + 1] = img[i + 1] * gain + haze * 0.9;
        img[i + 2] = img[i + 2] * gain + haze * 0.8;
      }
    }
  }
  const under = sev('under_exposure');
  if (under > 0) {
    const g = 1 - 0.7 * under;
    for (let i = 0; i < img.length; i++) img[i] = img[i] * g * (0.6 + 0.4 * g);
  }
  const defocus = sev('defocus');
  if (defocus > 0) gaussianBlurRgb(img, f.size, 5 * defocus * (f.size / 128));
}

/** Sensor noise: independent Gaussian per channel, inside the field of view only. */
export function addNoise(img: Float32Array, mask: Float32Array, faults: FaultSeverity[], rng: Rng): void {
  const s = faults.find((x) => x.fault === 'noise')?.severity ?? 0;
  if (s <= 0) return;
  const sd = 0.14 * s;
  for (let p = 0; p < mask.length; p++) {
    const m = mask[p];
    if (m === 0) continue;
    const i = p * 3;
    img[i] += rng.normal() * sd * m;
    img[i + 1] += rng.normal() * sd * m;
    img[i + 2] += rng.normal() * sd * m;
  }
}

/** Eyelashes (dark curved strokes from the rim) and dust (soft grey spots). */
function drawArtefacts(img: Float32Array, f: Frame, s: number, rng: Rng): void {
  const cov = new Float32Array(f.size * f.size);
  const lashes = 1 + Math.round(s * 3);
  for (let l = 0; l < lashes; l++) {
    const a = rng.range(-Math.PI * 0.85, -Math.PI * 0.15); // from the upper rim
    let x = Math.cos(a) * 1.05;
    let y = Math.sin(a) * 1.05;
    let h = a + Math.PI + rng.range(-0.4, 0.4);
    const w = rng.range(0.03, 0.06) * (0.5 + s);
    const steps = 6 + Math.round(s * 10);
    for (let k = 0; k < steps; k++) {
      h += rng.range(-0.08, 0.12);
      const nx = x + Math.cos(h) * 0.05;
      const ny = y + Math.sin(h) * 0.05;
      capsuleCoverage(cov, f, x, y, nx, ny, w * (1 - k / (steps * 1.4)), 0.9);
      x = nx;
      y = ny;
    }
  }
  for (let p = 0; p < cov.length; p++) {
    const c = cov[p];
    if (c === 0) continue;
    const i = p * 3;
    const g = 1 - 0.85 * c;
    img[i] *= g;
    img[i + 1] = img[i + 1] * g + 0.05 * c;
    img[i + 2] = img[i + 2] * g + 0.06 * c;
  }
  const dust = 2 + Math.round(s * 6);
  for (let d = 0; d < dust; d++) {
    const r = Math.sqrt(rng.next()) * 0.85;
    const t = rng.range(0, 2 * Math.PI);
    blob(img, f, r * Math.cos(t), r * Math.sin(t), rng.range(0.03, 0.07), { rgb: [0.12, 0.12, 0.13], opacity: 0.35 + 0.4 * s, softness: 1 });
  }
}
