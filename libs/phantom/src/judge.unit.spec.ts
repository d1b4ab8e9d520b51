import { claimedGroups, createRng, detectFindings, findingsFromCaption, judgeMatch, judgeQuality, matchFindings, renderPhantom } from './index';
import { Diagnosis } from './types';

// Held-out seeds: nothing in the judge was tuned on these.
const HELD_OUT = 910_000;

function spearman(a: number[], b: number[]): number {
  const rank = (v: number[]) => {
    const order = v.map((x, i) => [x, i]).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(v.length);
    for (let i = 0; i < order.length; ) {
      let j = i;
      while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
      for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2;
      i = j + 1;
    }
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const mean = (x: number[]) => x.reduce((s, y) => s + y, 0) / x.length;
  const ma = mean(ra);
  const mb = mean(rb);
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    num += (ra[i] - ma) * (rb[i] - mb);
    da += (ra[i] - ma) ** 2;
    db += (rb[i] - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

describe('judge', () => {
  const size = 96;
  const phantoms = Array.from({ length: 60 }, (_, i) => renderPhantom({ seed: HELD_OUT + i, size, quality: ((i % 3) + 1) as 1 | 2 | 3 }));
  const scores = phantoms.map((p) => judgeQuality(p).quality);

  it('ranks quality like the truth (Spearman ≥ 0.8 on held-out phantoms)', () => {
    const rho = spearman(phantoms.map((p) => p.labels.quality), scores);
    expect(rho).toBeGreaterThanOrEqual(0.8);
  });

  it('scores uniform noise, blank images and shuffled phantoms lowest', () => {
    const rng = createRng(1);
    const noise = new Uint8ClampedArray(size * size * 3).map(() => Math.floor(rng.next() * 256));
    const black = new Uint8ClampedArray(size * size * 3);
    const grey = new Uint8ClampedArray(size * size * 3).fill(128);
    const shuffled = Uint8ClampedArray.from(phantoms[2].rgb);
    for (let p = size * size - 1; p > 0; p--) {
      const q = Math.floor(rng.next() * (p + 1));
      for (let c = 0; c < 3; c++) [shuffled[p * 3 + c], shuffled[q * 3 + c]] = [shuffled[q * 3 + c], shuffled[p * 3 + c]];
    }
    const lowestPhantom = Math.min(...scores.filter((_, i) => phantoms[i].labels.quality >= 2));
    for (const rgb of [noise, black, grey, shuffled]) {
      const q = judgeQuality({ rgb, width: size, height: size });
      expect(q.quality).toBeLessThan(0.02);
      expect(q.quality).toBeLessThan(lowestPhantom);
      expect(q.plausibility).toBeLessThan(0.1);
    }
  });

  it('matches clean images to their own caption better than to another diagnosis (≥ 90%)', () => {
    const classes: [Diagnosis, number][] = [
      ['normal', 0],
      ['diabetic_retinopathy', 1],
      ['diabetic_retinopathy', 2],
      ['diabetic_retinopathy', 3],
      ['diabetic_retinopathy', 4],
      ['glaucoma', 0],
      ['hypertensive_retinopathy', 2],
      ['hypertensive_retinopathy', 3],
      ['amd', 1],
      ['amd', 3],
    ];
    const rng = createRng(7);
    let right = 0;
    let total = 0;
    for (let i = 0; i < 40; i++) {
      const [diagnosis, grade] = classes[i % classes.length];
      const p = renderPhantom({ seed: HELD_OUT + 500 + i, size: 128, diagnosis, grade, quality: 3 });
      const own = findingsFromCaption(p.caption);
      // Another diagnosis whose caption claims something the pixels can check differently.
      let other: string;
      for (;;) {
        const [d, g] = rng.pick(classes);
        other = renderPhantom({ seed: HELD_OUT + 900 + i, size: 32, diagnosis: d, grade: g }).caption;
        const a = [...claimedGroups(own)].sort().join();
        if (d !== diagnosis && [...claimedGroups(findingsFromCaption(other))].sort().join() !== a) break;
      }
      const report = detectFindings(p);
      total++;
      if (matchFindings(report, own) > matchFindings(report, findingsFromCaption(other))) right++;
    }
    expect(right / total).toBeGreaterThanOrEqual(0.9);
  });

  it('gives a caption of the right findings a high match and of wrong ones a low match', () => {
    const p = renderPhantom({ seed: HELD_OUT + 3, size: 128, diagnosis: 'diabetic_retinopathy', grade: 3, quality: 3 });
    expect(judgeMatch(p, p.caption)).toBeGreaterThan(0.8);
    expect(judgeMatch(p, 'Right eye fundus with no abnormality; healthy disc, C/D 0.3')).toBeLessThan(0.6);
  });

  it('rejects malformed pixel buffers with a clear error', () => {
    expect(() => judgeQuality({ rgb: new Uint8Array(10), width: 16, height: 16 })).toThrow(/expected 768 RGB bytes/);
    // An RgbImage from @forge/imaging ({data}) is judged the same as the phantom it came from.
    const p = renderPhantom({ seed: 4, size: 64 });
    expect(judgeQuality({ data: Uint8Array.from(p.rgb), width: 64, height: 64 })).toEqual(judgeQuality(p));
  });
});
