import * as tf from '@tensorflow/tfjs-core';
import { encodePng, rgbImage } from '@forge/imaging';

/** One 8-bit RGB image, row-major interleaved (what the judge, panel and PNG encoder read). */
export interface Pixels {
  rgb: Uint8ClampedArray;
  width: number;
  height: number;
}

/** 8-bit images -> (B, H, W, 3) in [−1, 1]. */
export function toTensor(images: readonly Pixels[]): tf.Tensor4D {
  const { width: w, height: h } = images[0];
  const data = new Float32Array(images.length * w * h * 3);
  images.forEach((img, i) => {
    for (let k = 0; k < img.rgb.length; k++) data[i * w * h * 3 + k] = img.rgb[k] / 127.5 - 1;
  });
  return tf.tensor4d(data, [images.length, h, w, 3]);
}

/** (B, H, W, 3) in [−1, 1] -> 8-bit images. */
export function fromTensor(images: tf.Tensor4D): Pixels[] {
  const [b, h, w] = images.shape;
  const data = images.dataSync();
  return Array.from({ length: b }, (_, i) => {
    const rgb = new Uint8ClampedArray(h * w * 3);
    for (let k = 0; k < rgb.length; k++) rgb[k] = Math.round((data[i * h * w * 3 + k] + 1) * 127.5);
    return { rgb, width: w, height: h };
  });
}

export function pngOf(p: Pixels): Promise<Buffer> {
  return encodePng(rgbImage(p.width, p.height, new Uint8Array(p.rgb.buffer, p.rgb.byteOffset, p.rgb.byteLength)));
}

/** Runs fn over tensors built from consecutive chunks, so a large set never sits in one batch. */
export function inChunks<T>(images: readonly Pixels[], chunk: number, fn: (batch: tf.Tensor4D, from: number) => T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < images.length; i += chunk) {
    const t = toTensor(images.slice(i, i + chunk));
    try {
      out.push(...fn(t, i));
    } finally {
      t.dispose();
    }
  }
  return out;
}
