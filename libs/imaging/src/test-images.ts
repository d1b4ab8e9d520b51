import { RgbImage, rgbImage } from './rgb-image';

/**
 * A fundus-like disc for tests: orange-red field of view with a brighter optic disc and a darker
 * vessel line on a black background. Deterministic, no randomness.
 */
export function syntheticFundus(width: number, height: number, cx = width / 2, cy = height / 2, radius = Math.min(width, height) * 0.45): RgbImage {
  const img = rgbImage(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const r = Math.hypot(dx, dy);
      if (r > radius) continue;
      const vignette = 1 - 0.35 * (r / radius) ** 2;
      let red = 200 * vignette;
      let green = 90 * vignette;
      let blue = 40 * vignette;
      if (Math.hypot(dx - radius * 0.35, dy) < radius * 0.12) [red, green, blue] = [250, 220, 160];
      if (Math.abs(dy - dx * 0.3) < Math.max(1, radius * 0.02)) [red, green, blue] = [red * 0.6, green * 0.5, blue * 0.5];
      const i = (y * width + x) * 3;
      img.data[i] = Math.round(red);
      img.data[i + 1] = Math.round(green);
      img.data[i + 2] = Math.round(blue);
    }
  }
  return img;
}
