import * as fs from 'node:fs/promises';
import sharp from 'sharp';
import { ImageDecodeError } from './errors';
import { RgbImage } from './rgb-image';

export interface DecodeLimits {
  /** Largest encoded input accepted, in bytes. */
  maxBytes: number;
  /** Largest width or height accepted, in pixels. */
  maxDimension: number;
}

export const defaultDecodeLimits: DecodeLimits = { maxBytes: 50 * 1024 * 1024, maxDimension: 8192 };

const acceptedFormats = new Set(['png', 'jpeg', 'tiff']);

/**
 * Decodes a PNG, JPEG or TIFF (8 or 16 bit; grey, grey+alpha, RGB or RGBA) into 8-bit RGB.
 * EXIF orientation is applied, alpha is flattened onto black (the fundus background), and
 * nothing of the file's metadata survives: the result is pixels only.
 * `name` is used only in error messages.
 */
export async function decodeImage(buf: Uint8Array, name: string, limits: Partial<DecodeLimits> = {}): Promise<RgbImage> {
  const lim = { ...defaultDecodeLimits, ...limits };
  if (buf.length === 0) throw new ImageDecodeError(name, 'the file is empty (0 bytes)');
  if (buf.length > lim.maxBytes) throw new ImageDecodeError(name, `the file is ${buf.length} bytes, more than the limit of ${lim.maxBytes}`);

  // Header first: refuse huge or unsupported images before any pixel is decoded.
  const meta = await sharp(buf, { limitInputPixels: false }).metadata().catch((err: Error) => {
    throw new ImageDecodeError(name, `unrecognised or corrupt image data (${err.message})`);
  });
  if (!meta.format || !acceptedFormats.has(meta.format)) {
    throw new ImageDecodeError(name, `format '${meta.format ?? 'unknown'}' is not accepted (PNG, JPEG or TIFF)`);
  }
  const { width, height } = meta;
  if (!width || !height) throw new ImageDecodeError(name, 'the header gives no image size');
  if (width > lim.maxDimension || height > lim.maxDimension) {
    throw new ImageDecodeError(name, `${width}×${height} pixels exceeds the limit of ${lim.maxDimension} per side`);
  }

  try {
    const { data, info } = await sharp(buf, { limitInputPixels: lim.maxDimension * lim.maxDimension, failOn: 'truncated' })
      .rotate()
      .flatten({ background: '#000000' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoder produced ${info.channels} channels`);
    return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    throw new ImageDecodeError(name, `decoding failed (${(err as Error).message.trim()})`);
  }
}

/** Reads and decodes a file, checking its size on disk before reading it. */
export async function decodeImageFile(file: string, limits: Partial<DecodeLimits> = {}): Promise<RgbImage> {
  const lim = { ...defaultDecodeLimits, ...limits };
  const stat = await fs.stat(file).catch((err: NodeJS.ErrnoException) => {
    throw new ImageDecodeError(file, `cannot read the file (${err.code ?? err.message})`);
  });
  if (!stat.isFile()) throw new ImageDecodeError(file, 'not a regular file');
  if (stat.size > lim.maxBytes) throw new ImageDecodeError(file, `the file is ${stat.size} bytes, more than the limit of ${lim.maxBytes}`);
  return decodeImage(await fs.readFile(file), file, lim);
}
