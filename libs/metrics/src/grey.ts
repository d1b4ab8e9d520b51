/** 8-bit interleaved RGB, row-major (the shape @forge/imaging decodes to). */
export interface RgbPixels {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A single-channel image of doubles, row-major: data[y * width + x]. */
export interface GreyImage {
  width: number;
  height: number;
  data: Float64Array;
}

/**
 * 8-bit luma exactly as PIL's `convert('L')`: (299R + 587G + 114B)/1000 in 16-bit fixed point,
 * rounded half up: (R·19595 + G·38470 + B·7471 + 0x8000) >> 16.
 */
export function lumaPil(image: RgbPixels): Uint8Array {
  const n = image.width * image.height;
  if (image.data.length < n * 3) throw new RangeError(`expected ${n * 3} bytes for ${image.width}×${image.height} RGB, got ${image.data.length}`);
  const out = new Uint8Array(n);
  const d = image.data;
  for (let p = 0, i = 0; p < n; p++, i += 3) out[p] = (d[i] * 19595 + d[i + 1] * 38470 + d[i + 2] * 7471 + 0x8000) >>> 16;
  return out;
}

/** PIL luma scaled to [0, 1]: the grey image every report metric is computed on. */
export function greyFromRgb(image: RgbPixels): GreyImage {
  const luma = lumaPil(image);
  const data = new Float64Array(luma.length);
  for (let i = 0; i < luma.length; i++) data[i] = luma[i] / 255;
  return { width: image.width, height: image.height, data };
}

/** Single-channel 8-bit values scaled to [0, 1]. */
export function greyFromBytes(width: number, height: number, bytes: ArrayLike<number>): GreyImage {
  if (bytes.length !== width * height) throw new RangeError(`expected ${width * height} values, got ${bytes.length}`);
  const data = new Float64Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) data[i] = bytes[i] / 255;
  return { width, height, data };
}
