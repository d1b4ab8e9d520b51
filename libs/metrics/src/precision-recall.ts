import { FeatureRows } from './frechet';
import { Matrix, toMatrix } from './linalg';

function squaredDistances(a: Matrix, b: Matrix): Float64Array {
  const d = a.cols;
  const out = new Float64Array(a.rows * b.rows);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.rows; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) {
        const t = a.data[i * d + k] - b.data[j * d + k];
        s += t * t;
      }
      out[i * b.rows + j] = s;
    }
  }
  return out;
}

/** Squared distance from each sample to its k-th nearest other sample of the same set. */
function kthNeighbourRadii(m: Matrix, k: number): Float64Array {
  if (m.rows <= k) throw new RangeError(`k-NN radii need more than k = ${k} samples, got ${m.rows}`);
  const dist = squaredDistances(m, m);
  const radii = new Float64Array(m.rows);
  const row = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    row.set(dist.subarray(i * m.rows, (i + 1) * m.rows));
    row.sort();
    radii[i] = row[k]; // row[0] is the sample itself
  }
  return radii;
}

/** Fraction of `probes` inside at least one hypersphere of the manifold. */
function coverage(manifold: Matrix, radii: Float64Array, probes: Matrix): number {
  const dist = squaredDistances(probes, manifold);
  let inside = 0;
  for (let i = 0; i < probes.rows; i++) {
    for (let j = 0; j < manifold.rows; j++) {
      if (dist[i * manifold.rows + j] <= radii[j]) {
        inside++;
        break;
      }
    }
  }
  return inside / probes.rows;
}

/**
 * Improved precision and recall (Kynkäänniemi et al. 2019): each set's manifold is the union of
 * balls reaching each sample's k-th nearest neighbour. Precision = share of generated samples on
 * the real manifold; recall = share of real samples on the generated manifold.
 */
export function precisionRecall(real: FeatureRows, generated: FeatureRows, k = 3): { precision: number; recall: number } {
  const r = toMatrix(real, 'real features');
  const g = toMatrix(generated, 'generated features');
  if (r.cols !== g.cols) throw new RangeError(`feature dimensions differ: ${r.cols} and ${g.cols}`);
  return { precision: coverage(r, kthNeighbourRadii(r, k), g), recall: coverage(g, kthNeighbourRadii(g, k), r) };
}
