import { Rng } from './prng';
import { Diagnosis, Eye, Fault, FaultSeverity, FindingKind, FindingSite, PhantomLabels, Quality } from './types';

export interface SceneOptions {
  diagnosis?: Diagnosis;
  grade?: number;
  quality?: Quality;
  eye?: Eye;
}

const GRADE_RANGE: Record<Diagnosis, [number, number]> = {
  normal: [0, 0],
  diabetic_retinopathy: [1, 4],
  glaucoma: [0, 0],
  hypertensive_retinopathy: [1, 3],
  amd: [1, 3],
};

/** Draws the true labels of one phantom: diagnosis, anatomy, lesion sites and acquisition faults. */
export function sampleLabels(rng: Rng, options: SceneOptions = {}): PhantomLabels {
  const diagnosis = options.diagnosis ?? rng.pick(['normal', 'normal', 'diabetic_retinopathy', 'diabetic_retinopathy', 'diabetic_retinopathy', 'glaucoma', 'hypertensive_retinopathy', 'amd'] as const);
  const [gLo, gHi] = GRADE_RANGE[diagnosis];
  const grade = options.grade ?? rng.int(gLo, gHi);
  if (!Number.isInteger(grade) || grade < gLo || grade > gHi) throw new RangeError(`grade ${grade} is outside ${gLo}–${gHi} for ${diagnosis}`);
  const eye: Eye = options.eye ?? (rng.chance(0.5) ? 'left' : 'right');
  // Macula-centred photograph: the disc sits nasally, i.e. on the viewer's right for a right eye.
  const side = eye === 'right' ? 1 : -1;
  const fovea = { x: -side * rng.range(0.02, 0.08), y: rng.range(-0.04, 0.04) };
  const disc = { x: side * rng.range(0.46, 0.54), y: fovea.y + rng.range(-0.08, -0.02), r: rng.range(0.11, 0.13) };
  const cdr = diagnosis === 'glaucoma' ? round2(rng.range(0.65, 0.9)) : round2(rng.range(0.2, 0.4));

  const sites: FindingSite[] = [];
  const kinds = new Set<FindingKind>();
  const add = (kind: FindingKind, n: number, place: () => { x: number; y: number }, rLo: number, rHi: number) => {
    for (let i = 0; i < n; i++) {
      const p = place();
      sites.push({ kind, x: p.x, y: p.y, r: rng.range(rLo, rHi) });
    }
    if (n > 0) kinds.add(kind);
  };
  const posterior = () => awayFromDisc(rng, disc, () => polar(rng, fovea, 0.12, 0.7));
  const temporalToMacula = () => {
    const c = { x: fovea.x - side * 0.2, y: fovea.y };
    return awayFromDisc(rng, disc, () => polar(rng, c, 0, 0.16));
  };
  const nearArcades = () => awayFromDisc(rng, disc, () => polar(rng, disc, 0.2, 0.5, -side));
  const macular = () => polar(rng, fovea, 0.04, 0.22);

  if (diagnosis === 'diabetic_retinopathy') {
    add('microaneurysm', grade === 1 ? rng.int(6, 10) : rng.int(8, 16), posterior, 0.008, 0.012);
    if (grade >= 2) add('dot_blot_haemorrhage', grade === 2 ? rng.int(3, 6) : rng.int(8, 14), posterior, 0.018, 0.035);
    if (grade >= 2) add('hard_exudate', rng.int(6, 12), temporalToMacula, 0.012, 0.022);
    if (grade >= 3) add('cotton_wool_spot', rng.int(2, 4), nearArcades, 0.04, 0.06);
    if (grade === 4) add('neovascularisation', 1, () => ({ x: disc.x, y: disc.y }), disc.r * 1.5, disc.r * 1.8);
  } else if (diagnosis === 'hypertensive_retinopathy') {
    add('arteriolar_narrowing', 1, () => ({ x: disc.x, y: disc.y }), 0.3, 0.3);
    add('av_nicking', rng.int(2, 3), () => polar(rng, disc, 0.25, 0.45, -side), 0.02, 0.03);
    if (grade >= 2) add('flame_haemorrhage', rng.int(3, 6), () => awayFromDisc(rng, disc, () => polar(rng, disc, 0.17, 0.4)), 0.03, 0.05);
    if (grade >= 2) add('cotton_wool_spot', rng.int(2, 4), nearArcades, 0.04, 0.06);
    if (grade === 3) add('hard_exudate', rng.int(6, 10), () => polar(rng, fovea, 0.05, 0.14), 0.012, 0.02);
  } else if (diagnosis === 'amd') {
    add('drusen', grade === 1 ? rng.int(6, 10) : rng.int(12, 22), macular, 0.018, grade === 1 ? 0.028 : 0.04);
  }
  if (cdr >= 0.6) kinds.add('enlarged_cup');

  const quality = options.quality ?? (rng.pick([3, 3, 3, 2, 2, 1] as const) as Quality);
  const faults = sampleFaults(rng, quality);
  return { diagnosis, grade, eye, cdr, findings: [...kinds], sites, quality, faults, disc, fovea };
}

/** Faults whose summed severity lands in the band of the requested quality (3 < 0.2 ≤ 2 ≤ 0.9 < 1). */
function sampleFaults(rng: Rng, quality: Quality): FaultSeverity[] {
  const all: Fault[] = ['defocus', 'uneven_illumination', 'noise', 'artefacts', 'under_exposure'];
  const [count, total] =
    quality === 3 ? [rng.int(0, 1), rng.range(0, 0.12)] : quality === 2 ? [rng.int(1, 2), rng.range(0.4, 0.6)] : [rng.int(1, 2), rng.range(1.1, 1.5)];
  const chosen: Fault[] = [];
  while (chosen.length < count) {
    const f = rng.pick(all);
    if (!chosen.includes(f)) chosen.push(f);
  }
  if (chosen.length === 0) return [];
  const weights = chosen.map(() => rng.range(0.6, 1));
  const sum = weights.reduce((a, b) => a + b, 0);
  return chosen.map((fault, i) => ({ fault, severity: round2(Math.min(1, (total * weights[i]) / sum)) }));
}

function polar(rng: Rng, c: { x: number; y: number }, rLo: number, rHi: number, towardX = 0): { x: number; y: number } {
  for (let i = 0; i < 30; i++) {
    const r = Math.sqrt(rng.range(rLo * rLo, rHi * rHi));
    let a = rng.range(0, 2 * Math.PI);
    if (towardX !== 0) a = (towardX > 0 ? 0 : Math.PI) + rng.range(-1.3, 1.3);
    const p = { x: c.x + r * Math.cos(a), y: c.y + r * Math.sin(a) };
    if (p.x * p.x + p.y * p.y < 0.85 * 0.85) return p;
  }
  return { x: c.x * 0.5, y: c.y * 0.5 };
}

/** Lesions are placed off the disc: on the disc they would be neither visible nor clinically described. */
function awayFromDisc(rng: Rng, disc: { x: number; y: number; r: number }, place: () => { x: number; y: number }) {
  for (let i = 0; i < 20; i++) {
    const p = place();
    if (Math.hypot(p.x - disc.x, p.y - disc.y) > disc.r * 1.8) return p;
  }
  return place();
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
