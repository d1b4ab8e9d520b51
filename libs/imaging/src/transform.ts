import sharp from 'sharp';
import { RgbImage, rawInput } from './rgb-image';

/** Resizes to exactly width×height (aspect not kept: crop to a square first), Lanczos-3. */
export async function resizeImage(image: RgbImage, width: number, height: number = width): Promise<RgbImage> {
  if (image.width === width && image.height === height) return image;
  const { data, info } = await sharp(image.data, rawInput(image))
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

export type NormalisedRange = '0,1' | '-1,1';

/** 8-bit RGB → Float32 HWC in [0,1] or [-1,1] (what models eat). Shape: (H, W, 3). */
export function normalise(image: RgbImage, range: NormalisedRange = '0,1'): Float32Array {
  const out = new Float32Array(image.data.length);
  const [scale, shift] = range === '0,1' ? [1 / 255, 0] : [2 / 255, -1];
  for (let i = 0; i < out.length; i++) out[i] = image.data[i] * scale + shift;
  return out;
}

/** The inverse of `normalise`, clamped and rounded to 8 bits. */
export function denormalise(values: Float32Array, width: number, height: number, range: NormalisedRange = '0,1'): RgbImage {
  if (values.length !== width * height * 3) throw new RangeError(`expected ${width * height * 3} values, got ${values.length}`);
  const data = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = range === '0,1' ? values[i] * 255 : (values[i] + 1) * 127.5;
    data[i] = Math.min(255, Math.max(0, Math.round(v)));
  }
  return { width, height, channels: 3, data };
}

/** Lossless PNG of the pixels and nothing else (no metadata chunks). Same pixels → same bytes. */
export async function encodePng(image: RgbImage): Promise<Buffer> {
  const png = await sharp(image.data, rawInput(image)).png({ compressionLevel: 6, adaptiveFiltering: false }).toBuffer();
  return keepCriticalChunks(png);
}

const criticalChunks = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND']);

/** Drops ancillary PNG chunks (pHYs, tEXt, eXIf, iCCP…): the stored bytes depend on the pixels only. */
function keepCriticalChunks(png: Buffer): Buffer {
  const parts: Buffer[] = [png.subarray(0, 8)];
  for (let off = 8; off + 8 <= png.length; ) {
    const end = off + 12 + png.readUInt32BE(off);
    if (criticalChunks.has(png.toString('ascii', off + 4, off + 8))) parts.push(png.subarray(off, end));
    off = end;
  }
  return Buffer.concat(parts);
}
