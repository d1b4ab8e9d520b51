import * as tf from '@tensorflow/tfjs-core';
import { Rng } from './random';

/**
 * Coloured squares with captions naming colour and position: a tiny, fully known
 * image–text dataset for model tests (matching vs mismatched pairs, reward toys).
 */
export const TOY_COLOURS: Record<string, [number, number, number]> = {
  red: [1, -0.8, -0.8],
  green: [-0.8, 1, -0.8],
  blue: [-0.8, -0.8, 1],
  yellow: [1, 1, -0.8],
};
const POSITIONS = ['left', 'right'] as const;

export interface ToySample {
  caption: string;
  colour: string;
  position: (typeof POSITIONS)[number];
}

export function toySamples(n: number, rng: Rng): ToySample[] {
  const colours = Object.keys(TOY_COLOURS);
  return Array.from({ length: n }, () => {
    const colour = colours[rng.int(colours.length)];
    const position = POSITIONS[rng.int(2)];
    return { caption: `a ${colour} square on the ${position}`, colour, position };
  });
}

/** Renders samples as (N, size, size, 3) in [−1, 1]: dark background, a square of the colour. */
export function renderToyImages(samples: readonly ToySample[], size: number, rng: Rng, noise = 0.05): tf.Tensor4D {
  const data = new Float32Array(samples.length * size * size * 3);
  const half = size / 2;
  samples.forEach((s, i) => {
    const side = Math.max(2, Math.round(size * (0.3 + 0.1 * rng.next())));
    const x0 = (s.position === 'left' ? 0 : half) + rng.int(Math.max(1, half - side + 1));
    const y0 = rng.int(size - side + 1);
    const rgb = TOY_COLOURS[s.colour];
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const inside = x >= x0 && x < x0 + side && y >= y0 && y < y0 + side;
        for (let c = 0; c < 3; c++) {
          const v = (inside ? rgb[c] : -0.9) + noise * (rng.next() * 2 - 1);
          data[((i * size + y) * size + x) * 3 + c] = Math.max(-1, Math.min(1, v));
        }
      }
    }
  });
  return tf.tensor4d(data, [samples.length, size, size, 3]);
}
