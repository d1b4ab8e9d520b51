import { GreyImage, greyFromRgb, ImageQuality, imageQuality, imageQualityNames, msSsim, sampleWithoutReplacement, seededRandom, ssimWindow, summarise, Summary } from '@forge/metrics';
import { decodeImageFile, DecodeLimits } from './decode';
import { ImageDecodeError } from './errors';
import { RgbImage } from './rgb-image';
import { resizeImage } from './transform';

export interface MeasuredSet {
  name: string;
  files: string[];
  /** Files that could not be decoded (only when skipBad), with the reason. */
  skipped: { file: string; reason: string }[];
  /** Per-image five metrics, in file order. */
  perImage: ImageQuality[];
  summary: Record<keyof ImageQuality, Summary>;
}

export interface MeasureOptions {
  limits?: Partial<DecodeLimits>;
  /** Skip undecodable files (reported in `skipped`) instead of failing on the first. */
  skipBad?: boolean;
  onImage?: () => void;
}

/** Decodes every file and computes the five report metrics at full resolution. */
export async function measureImageSet(name: string, files: string[], options: MeasureOptions = {}): Promise<{ set: MeasuredSet; images: RgbImage[] }> {
  const perImage: ImageQuality[] = [];
  const images: RgbImage[] = [];
  const kept: string[] = [];
  const skipped: { file: string; reason: string }[] = [];
  for (const file of files) {
    try {
      const image = await decodeImageFile(file, options.limits);
      perImage.push(imageQuality(image));
      images.push(image);
      kept.push(file);
    } catch (err) {
      if (!(options.skipBad && err instanceof ImageDecodeError)) throw err;
      skipped.push({ file, reason: err.reason });
    }
    options.onImage?.();
  }
  const summary = Object.fromEntries(imageQualityNames.map((k) => [k, summarise(perImage.map((q) => q[k]))])) as Record<keyof ImageQuality, Summary>;
  return { set: { name, files: kept, skipped, perImage, summary }, images };
}

/** The side used for SSIM: the images' own size when all share one square size, else the smallest side (capped). */
export function comparisonSize(images: RgbImage[], cap = 256): number {
  const side = Math.min(...images.map((i) => Math.min(i.width, i.height)));
  return Math.max(ssimWindow, Math.min(side, cap));
}

/** Grey versions at size×size, resized only where needed. */
export async function greyAtSize(images: RgbImage[], size: number): Promise<GreyImage[]> {
  const out: GreyImage[] = [];
  for (const image of images) out.push(greyFromRgb(await resizeImage(image, size, size)));
  return out;
}

export interface PairStatistics {
  ssim: Summary;
  msSsim: Summary;
  pairs: number;
  scales: number;
}

/**
 * SSIM and MS-SSIM over `pairs` random pairs, either one image from each set (similarity between
 * sets) or two different images of one set (within-set similarity: lower means more diverse).
 * Seeded, so the same folders give the same figures.
 */
export function pairStatistics(a: GreyImage[], b: GreyImage[] | undefined, pairs: number, seed: number): PairStatistics | undefined {
  const rng = seededRandom(seed);
  const ssims: number[] = [];
  const msSsims: number[] = [];
  let scales = 0;
  const within = b === undefined;
  if (within ? a.length < 2 : a.length === 0 || b.length === 0) return undefined;
  for (let p = 0; p < pairs; p++) {
    let x: GreyImage;
    let y: GreyImage;
    if (within) {
      const [i, j] = sampleWithoutReplacement(a.length, 2, rng);
      x = a[i];
      y = a[j];
    } else {
      x = a[Math.floor(rng.next() * a.length)];
      y = b[Math.floor(rng.next() * b.length)];
    }
    const ms = msSsim(x, y);
    ssims.push(ms.ssim);
    msSsims.push(ms.value);
    scales = ms.scales;
  }
  return { ssim: summarise(ssims), msSsim: summarise(msSsims), pairs, scales };
}
