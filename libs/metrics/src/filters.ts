import { GreyImage } from './grey';

// Separable filters with scipy.ndimage's 'reflect' border (d c b a | a b c d | d c b a),
// valid for any kernel radius, also one longer than the image.

/** scipy's 'reflect' index for any i, on a line of n samples. */
export function reflectIndex(i: number, n: number): number {
  const period = 2 * n;
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - 1 - m;
}

/** out[i] = Σ_k weights[k] · in[reflect(i + k - origin)], along rows (axis -1) or columns (axis 0). */
export function correlate1d(image: GreyImage, weights: ArrayLike<number>, axis: 0 | 1): GreyImage {
  const { width: w, height: h, data } = image;
  const r = (weights.length - 1) >> 1;
  const n = axis === 1 ? w : h;
  const lines = axis === 1 ? h : w;
  const stride = axis === 1 ? 1 : w;
  const lineStep = axis === 1 ? w : 1;
  const padded = new Float64Array(n + 2 * r);
  const map = new Int32Array(n + 2 * r);
  for (let i = 0; i < map.length; i++) map[i] = reflectIndex(i - r, n);
  const out = new Float64Array(data.length);
  const wts = Float64Array.from(weights);
  const k = wts.length;
  for (let line = 0; line < lines; line++) {
    const base = line * lineStep;
    for (let i = 0; i < padded.length; i++) padded[i] = data[base + map[i] * stride];
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += wts[j] * padded[i + j];
      out[base + i * stride] = s;
    }
  }
  return { width: w, height: h, data: out };
}

/** scipy.ndimage.sobel(image) with defaults: derivative [-1,0,1] along x, smoothing [1,2,1] along y. */
export function sobelX(image: GreyImage): GreyImage {
  return correlate1d(correlate1d(image, [-1, 0, 1], 1), [1, 2, 1], 0);
}

/** scipy's 1-D Gaussian: radius = int(truncate·σ + 0.5), weights exp(-x²/2σ²) normalised to sum 1. */
export function gaussianKernel(sigma: number, truncate: number): Float64Array {
  const radius = Math.floor(truncate * sigma + 0.5);
  const weights = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let x = -radius; x <= radius; x++) {
    const v = Math.exp((-0.5 / (sigma * sigma)) * x * x);
    weights[x + radius] = v;
    sum += v;
  }
  for (let i = 0; i < weights.length; i++) weights[i] /= sum;
  return weights;
}

/** scipy.ndimage.gaussian_filter(image, sigma, truncate=truncate, mode='reflect'): axis 0, then axis 1. */
export function gaussianFilter(image: GreyImage, sigma: number, truncate = 4.0): GreyImage {
  const kernel = gaussianKernel(sigma, truncate);
  return correlate1d(correlate1d(image, kernel, 0), kernel, 1);
}
