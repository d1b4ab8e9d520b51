/** 8-bit RGB pixels, row-major, interleaved: data[(y * width + x) * 3 + c]. */
export interface RgbImage {
  width: number;
  height: number;
  channels: 3;
  data: Uint8Array;
}

export function rgbImage(width: number, height: number, data?: Uint8Array): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`image size must be positive integers, got ${width}×${height}`);
  }
  const pixels = data ?? new Uint8Array(width * height * 3);
  if (pixels.length !== width * height * 3) {
    throw new RangeError(`expected ${width * height * 3} bytes for ${width}×${height} RGB, got ${pixels.length}`);
  }
  return { width, height, channels: 3, data: pixels };
}

/** The raw-pixel description sharp needs to read an RgbImage. */
export function rawInput(image: RgbImage): { raw: { width: number; height: number; channels: 3 } } {
  return { raw: { width: image.width, height: image.height, channels: 3 } };
}
