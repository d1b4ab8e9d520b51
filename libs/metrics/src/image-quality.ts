import { mean, populationStd } from './stats';
import { gaussianFilter, sobelX } from './filters';
import { GreyImage, greyFromRgb, RgbPixels } from './grey';

/** The five report metrics (DESIGN, Metrics), on the whole image at full resolution. */
export interface ImageQuality {
  /** mean / (std + 1e-8) of grey L in [0,1]. */
  snr: number;
  /** max − min of L. */
  contrast: number;
  /** mean |Sobel derivative along x| of L. */
  sharpness: number;
  /** std(L − Gaussian(L, σ=2)). */
  vesselVisibility: number;
  /** mean of the central box − mean of the four border strips (corners counted twice). */
  uniformity: number;
}

export const imageQualityNames: (keyof ImageQuality)[] = ['snr', 'contrast', 'sharpness', 'vesselVisibility', 'uniformity'];

export function imageQuality(image: RgbPixels): ImageQuality {
  return greyImageQuality(greyFromRgb(image));
}

export function greyImageQuality(grey: GreyImage): ImageQuality {
  const { width: w, height: h, data } = grey;
  const mu = mean(data);
  const std = populationStd(data, mu);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    if (data[i] < min) min = data[i];
    if (data[i] > max) max = data[i];
  }
  const sobel = sobelX(grey).data;
  let absSum = 0;
  for (let i = 0; i < sobel.length; i++) absSum += Math.abs(sobel[i]);
  const smooth = gaussianFilter(grey, 2, 4).data;
  const residual = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) residual[i] = data[i] - smooth[i];
  return {
    snr: mu / (std + 1e-8),
    contrast: max - min,
    sharpness: absSum / data.length,
    vesselVisibility: populationStd(residual),
    uniformity: uniformity(data, w, h),
  };
}

/**
 * Python slices of the reference code: centre = L[h//4 : 3h//4, w//4 : 3w//4]; border strips
 * L[:h//4], L[-h//4:], L[:, :w//4], L[:, -w//4:]. Python's -h//4 is −ceil(h/4), so the bottom and
 * right strips start at floor(3h/4) and floor(3w/4).
 */
function uniformity(data: Float64Array, w: number, h: number): number {
  const q = (n: number) => Math.floor(n / 4);
  const tq = (n: number) => Math.floor((3 * n) / 4);
  const boxMean = (y0: number, y1: number, x0: number, x1: number): [number, number] => {
    let s = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) s += data[y * w + x];
    return [s, Math.max(0, y1 - y0) * Math.max(0, x1 - x0)];
  };
  const [cs, cn] = boxMean(q(h), tq(h), q(w), tq(w));
  const strips = [boxMean(0, q(h), 0, w), boxMean(tq(h), h, 0, w), boxMean(0, h, 0, q(w)), boxMean(0, h, tq(w), w)];
  const bs = strips.reduce((a, s) => a + s[0], 0);
  const bn = strips.reduce((a, s) => a + s[1], 0);
  // numpy gives NaN for the mean of an empty slice; so do we (only for images under 4 pixels a side).
  return cs / cn - bs / bn;
}
