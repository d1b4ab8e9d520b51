import { createRng, mixSeed, renderPhantom, type Phantom, type Quality } from '@forge/phantom';

/** Shares of true quality 3 (good), 2 (usable) and 1 (poor) in a pool; normalised, need not sum to 1. */
export interface QualityMix {
  good: number;
  usable: number;
  poor: number;
}

/**
 * What a generator that already works mostly puts out: most images good, some usable, few poor.
 * Random routing spends most of its ratings on good images the selector already scores well.
 */
export const GENERATOR_LIKE_MIX: QualityMix = { good: 0.75, usable: 0.17, poor: 0.08 };

export interface PoolImage {
  id: string;
  /** The rendered phantom (what the panel looks at), with its true labels. */
  phantom: Phantom;
  quality: Quality;
}

export interface ImagePool {
  images: PoolImage[];
  /** What the selector sees: (n, size, size, 3) row-major, values in [−1, 1]. */
  pixels: Float32Array;
  size: number;
}

/** Phantoms render at no less than this; the selector's input is box-downsampled from it. */
export const RENDER_SIZE = 32;

/**
 * `count` phantoms whose true quality is drawn from `mix`, each rendered at 32 px and box-averaged
 * to `size` px for the selector. Same options → same pool.
 */
export function renderPool(options: { count: number; size: number; seed: number; mix: QualityMix; idPrefix?: string }): ImagePool {
  const { count, size, seed, mix } = options;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`renderPool: count must be a positive integer, got ${count}`);
  if (!Number.isInteger(size) || size < 1 || RENDER_SIZE % size !== 0) throw new RangeError(`renderPool: size must divide ${RENDER_SIZE}, got ${size}`);
  const shares = [mix.poor, mix.usable, mix.good];
  if (shares.some((s) => !(s >= 0)) || shares.every((s) => s === 0)) throw new RangeError(`renderPool: mix shares must be ≥ 0 and not all 0, got ${JSON.stringify(mix)}`);
  const total = shares.reduce((a, b) => a + b, 0);
  const rng = createRng(mixSeed(seed, 0x9001));
  const prefix = options.idPrefix ?? 'pool';
  const pixels = new Float32Array(count * size * size * 3);
  const images: PoolImage[] = [];
  for (let i = 0; i < count; i++) {
    const quality = drawQuality(rng.next() * total, shares);
    const phantom = renderPhantom({ seed: mixSeed(seed, i), size: RENDER_SIZE, quality });
    downsampleInto(phantom.rgb, RENDER_SIZE, size, pixels, i * size * size * 3);
    images.push({ id: `${prefix}-${i}`, phantom, quality });
  }
  return { images, pixels, size };
}

function drawQuality(u: number, shares: number[]): Quality {
  if (u < shares[0]) return 1;
  if (u < shares[0] + shares[1]) return 2;
  return 3;
}

/** Box average of an 8-bit RGB image from `from` to `to` px, scaled to [−1, 1]. */
function downsampleInto(rgb: Uint8ClampedArray, from: number, to: number, out: Float32Array, offset: number): void {
  const f = from / to;
  const norm = 1 / (f * f * 127.5);
  for (let y = 0; y < to; y++) {
    for (let x = 0; x < to; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) s += rgb[((y * f + dy) * from + x * f + dx) * 3 + c];
        out[offset + (y * to + x) * 3 + c] = s * norm - 1;
      }
    }
  }
}
