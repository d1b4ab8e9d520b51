import { gaussianFilter } from './filters';
import { GreyImage } from './grey';

// Wang et al. 2004 with a Gaussian window, as skimage's
// structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1):
// σ = 1.5 truncated at 3.5σ (an 11×11 window), reflected borders, K1 = 0.01, K2 = 0.03,
// population covariance, and the mean taken over the map without its 5-pixel border.
const sigma = 1.5;
const truncate = 3.5;
export const ssimWindow = 2 * Math.floor(truncate * sigma + 0.5) + 1;
const c1 = 0.01 ** 2;
const c2 = 0.03 ** 2;

/** Wang et al. 2017 (MS-SSIM) scale weights, finest first. */
export const msSsimWeights = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333];

function check(a: GreyImage, b: GreyImage): void {
  if (a.width !== b.width || a.height !== b.height) throw new RangeError(`SSIM needs equal sizes, got ${a.width}×${a.height} and ${b.width}×${b.height}`);
  if (a.width < ssimWindow || a.height < ssimWindow) throw new RangeError(`SSIM needs at least ${ssimWindow}×${ssimWindow} pixels, got ${a.width}×${a.height}`);
}

function product(a: GreyImage, b: GreyImage): GreyImage {
  const data = new Float64Array(a.data.length);
  for (let i = 0; i < data.length; i++) data[i] = a.data[i] * b.data[i];
  return { width: a.width, height: a.height, data };
}

/** Mean SSIM and mean contrast-structure term (CS) over the cropped map. Data range 1. */
export function ssimAndContrastStructure(a: GreyImage, b: GreyImage): { ssim: number; cs: number } {
  check(a, b);
  const blur = (g: GreyImage) => gaussianFilter(g, sigma, truncate).data;
  const ux = blur(a);
  const uy = blur(b);
  const uxx = blur(product(a, a));
  const uyy = blur(product(b, b));
  const uxy = blur(product(a, b));
  const { width: w, height: h } = a;
  const pad = (ssimWindow - 1) >> 1;
  let sSum = 0;
  let csSum = 0;
  for (let y = pad; y < h - pad; y++) {
    for (let x = pad; x < w - pad; x++) {
      const i = y * w + x;
      const vx = uxx[i] - ux[i] * ux[i];
      const vy = uyy[i] - uy[i] * uy[i];
      const vxy = uxy[i] - ux[i] * uy[i];
      const cs = (2 * vxy + c2) / (vx + vy + c2);
      csSum += cs;
      sSum += ((2 * ux[i] * uy[i] + c1) / (ux[i] * ux[i] + uy[i] * uy[i] + c1)) * cs;
    }
  }
  const count = (w - 2 * pad) * (h - 2 * pad);
  return { ssim: sSum / count, cs: csSum / count };
}

/** Mean SSIM of two grey images in [0, 1] (at least 11×11). */
export function ssim(a: GreyImage, b: GreyImage): number {
  return ssimAndContrastStructure(a, b).ssim;
}

/** 2×2 mean pooling; a trailing odd row or column is dropped. */
export function downsample2(g: GreyImage): GreyImage {
  const w = g.width >> 1;
  const h = g.height >> 1;
  const data = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    const r0 = 2 * y * g.width;
    const r1 = r0 + g.width;
    for (let x = 0; x < w; x++) data[y * w + x] = (g.data[r0 + 2 * x] + g.data[r1 + 2 * x] + g.data[r0 + 2 * x + 1] + g.data[r1 + 2 * x + 1]) / 4;
  }
  return { width: w, height: h, data };
}

/** How many of the 5 standard scales fit: the coarsest must still hold an 11×11 window. */
export function msSsimScales(width: number, height: number): number {
  let scales = 1;
  while (scales < msSsimWeights.length && Math.floor(Math.min(width, height) / 2 ** scales) >= ssimWindow) scales++;
  return scales;
}

/**
 * Multi-scale SSIM: Π_{j<M} cs_j^{w_j} · ssim_M^{w_M}, 2×2 mean pooling between scales.
 * Small images: 5 scales need 176 px a side; below that the number of scales M is reduced
 * (64 px → 3 scales) and the first M weights are renormalised to sum 1, so values stay in [0, 1]
 * but are comparable only between images of the same size. Negative cs/ssim are clamped to 0
 * before the fractional power (as TensorFlow does), so the result is never NaN.
 * `ssim` is the plain SSIM at full scale, computed on the way.
 */
export function msSsim(a: GreyImage, b: GreyImage): { value: number; scales: number; ssim: number } {
  check(a, b);
  const scales = msSsimScales(a.width, a.height);
  const weights = msSsimWeights.slice(0, scales);
  const total = weights.reduce((s, w) => s + w, 0);
  let value = 1;
  let fullScaleSsim = NaN;
  let x = a;
  let y = b;
  for (let j = 0; j < scales; j++) {
    const { ssim: s, cs } = ssimAndContrastStructure(x, y);
    if (j === 0) fullScaleSsim = s;
    const wj = weights[j] / total;
    if (j === scales - 1) {
      value *= Math.max(s, 0) ** wj;
    } else {
      value *= Math.max(cs, 0) ** wj;
      x = downsample2(x);
      y = downsample2(y);
    }
  }
  return { value, scales, ssim: fullScaleSsim };
}
