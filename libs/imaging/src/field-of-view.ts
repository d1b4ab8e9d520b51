import { RgbImage, rgbImage } from './rgb-image';

export interface FieldOfViewOptions {
  /** A pixel belongs to the field of view when its 8-bit luma exceeds this. */
  threshold: number;
  /** A row/column counts only if this fraction of its pixels is above the threshold (ignores specks). */
  minFraction: number;
}

export const defaultFieldOfViewOptions: FieldOfViewOptions = { threshold: 12, minFraction: 0.01 };

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface FieldOfView {
  /** The bounding box of the bright disc, in the input's pixel coordinates. */
  box: Box;
  /** False when nothing exceeded the threshold; the box is then the whole image. */
  found: boolean;
}

/** Integer luma as in ITU-R 601, on 0..255 (the precise PIL rounding lives in @forge/metrics). */
function luma(d: Uint8Array, i: number): number {
  return (d[i] * 299 + d[i + 1] * 587 + d[i + 2] * 114) / 1000;
}

/** Finds the bounding box of the circular field of view: rows and columns with enough bright pixels. */
export function findFieldOfView(image: RgbImage, options: Partial<FieldOfViewOptions> = {}): FieldOfView {
  const { threshold, minFraction } = { ...defaultFieldOfViewOptions, ...options };
  const { width: w, height: h, data } = image;
  const rowCount = new Uint32Array(h);
  const colCount = new Uint32Array(w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (luma(data, (y * w + x) * 3) > threshold) {
        rowCount[y]++;
        colCount[x]++;
      }
    }
  }
  const minInRow = Math.max(1, Math.round(minFraction * w));
  const minInCol = Math.max(1, Math.round(minFraction * h));
  const rows = span(rowCount, minInRow);
  const cols = span(colCount, minInCol);
  if (!rows || !cols) return { box: { x: 0, y: 0, width: w, height: h }, found: false };
  return { box: { x: cols[0], y: rows[0], width: cols[1] - cols[0] + 1, height: rows[1] - rows[0] + 1 }, found: true };
}

function span(counts: Uint32Array, min: number): [number, number] | undefined {
  let first = -1;
  let last = -1;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] >= min) {
      if (first < 0) first = i;
      last = i;
    }
  }
  return first < 0 ? undefined : [first, last];
}

/**
 * Crops to the field of view and pads the shorter side with black so the result is square
 * with the disc centred (fundus cameras often cut the disc at the top and bottom).
 * An image with no bright region is returned padded to a square, uncropped.
 */
export function cropFieldOfView(image: RgbImage, options: Partial<FieldOfViewOptions> = {}): { image: RgbImage; fieldOfView: FieldOfView } {
  const fov = findFieldOfView(image, options);
  const { box } = fov;
  const side = Math.max(box.width, box.height);
  const out = rgbImage(side, side);
  const offX = (side - box.width) >> 1;
  const offY = (side - box.height) >> 1;
  const rowBytes = box.width * 3;
  for (let y = 0; y < box.height; y++) {
    const src = ((box.y + y) * image.width + box.x) * 3;
    out.data.set(image.data.subarray(src, src + rowBytes), ((offY + y) * side + offX) * 3);
  }
  return { image: out, fieldOfView: fov };
}
