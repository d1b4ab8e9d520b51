// The true labels of a phantom: what the image shows, in coordinates normalised to the field of view
// (centre 0,0; radius 1; x to the viewer's right, y down).
export type Diagnosis = 'normal' | 'diabetic_retinopathy' | 'glaucoma' | 'hypertensive_retinopathy' | 'amd';
export const DIAGNOSES: readonly Diagnosis[] = ['normal', 'diabetic_retinopathy', 'glaucoma', 'hypertensive_retinopathy', 'amd'];

export type FindingKind =
  | 'microaneurysm'
  | 'dot_blot_haemorrhage'
  | 'flame_haemorrhage'
  | 'hard_exudate'
  | 'cotton_wool_spot'
  | 'drusen'
  | 'enlarged_cup'
  | 'arteriolar_narrowing'
  | 'av_nicking'
  | 'neovascularisation';
export const FINDING_KINDS: readonly FindingKind[] = [
  'microaneurysm',
  'dot_blot_haemorrhage',
  'flame_haemorrhage',
  'hard_exudate',
  'cotton_wool_spot',
  'drusen',
  'enlarged_cup',
  'arteriolar_narrowing',
  'av_nicking',
  'neovascularisation',
];

export type Fault = 'defocus' | 'uneven_illumination' | 'noise' | 'artefacts' | 'under_exposure';
export const FAULTS: readonly Fault[] = ['defocus', 'uneven_illumination', 'noise', 'artefacts', 'under_exposure'];

export type Eye = 'left' | 'right';
/** 3 = good, 2 = usable, 1 = poor. */
export type Quality = 1 | 2 | 3;

/** One lesion (or a site of a diffuse finding) at a normalised position; r is its radius in FOV radii. */
export interface FindingSite {
  kind: FindingKind;
  x: number;
  y: number;
  r: number;
}

export interface FaultSeverity {
  fault: Fault;
  /** 0 (absent) … 1 (severe). */
  severity: number;
}

export interface PhantomLabels {
  diagnosis: Diagnosis;
  /** DR: ETDRS-like 0–4 (0 none, 1 mild, 2 moderate, 3 severe NPDR, 4 PDR); hypertensive 1–3; AMD 1–3 (early…advanced); else 0. */
  grade: number;
  eye: Eye;
  /** Vertical cup-to-disc ratio. */
  cdr: number;
  /** The set of finding kinds present. */
  findings: FindingKind[];
  /** Every lesion drawn, with its position. */
  sites: FindingSite[];
  quality: Quality;
  faults: FaultSeverity[];
  disc: { x: number; y: number; r: number };
  fovea: { x: number; y: number };
}

export interface Phantom {
  /** 8-bit RGB, row-major, interleaved: rgb[(y * width + x) * 3 + c]. */
  rgb: Uint8ClampedArray;
  width: number;
  height: number;
  labels: PhantomLabels;
  caption: string;
}

/** Any 8-bit interleaved RGB image the judge or panel can look at: a phantom, or an `RgbImage` from @forge/imaging ({data}). */
export type RgbPixels = { rgb: ArrayLike<number>; width: number; height: number } | { data: ArrayLike<number>; width: number; height: number };

export function pixelsOf(img: RgbPixels): ArrayLike<number> {
  return 'rgb' in img ? img.rgb : img.data;
}
