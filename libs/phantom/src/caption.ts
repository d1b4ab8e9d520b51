import { Rng } from './prng';
import { FindingKind, FindingSite, PhantomLabels } from './types';

// Clinical captions written from the true labels, with varied wording so a text encoder cannot key on one template.

const DR_GRADE = ['no', 'mild non-proliferative', 'moderate non-proliferative', 'severe non-proliferative', 'proliferative'];
const HR_GRADE = ['', 'mild', 'moderate', 'severe'];
const AMD_GRADE = ['', 'early', 'intermediate', 'advanced'];

export function diagnosisPhrase(L: Pick<PhantomLabels, 'diagnosis' | 'grade'>): string {
  switch (L.diagnosis) {
    case 'normal':
      return 'no abnormality';
    case 'diabetic_retinopathy':
      return `${DR_GRADE[L.grade]} diabetic retinopathy`;
    case 'glaucoma':
      return 'glaucomatous optic disc cupping';
    case 'hypertensive_retinopathy':
      return `${HR_GRADE[L.grade]} hypertensive retinopathy`;
    case 'amd':
      return `${AMD_GRADE[L.grade]} age-related macular degeneration`;
  }
}

const PHRASES: Record<FindingKind, string[]> = {
  microaneurysm: ['scattered microaneurysms', 'a few microaneurysms', 'microaneurysms in the posterior pole'],
  dot_blot_haemorrhage: ['dot and blot haemorrhages', 'intraretinal dot haemorrhages', 'blot haemorrhages'],
  flame_haemorrhage: ['flame-shaped haemorrhages', 'splinter haemorrhages along the nerve fibre layer', 'flame haemorrhages near the disc'],
  hard_exudate: ['hard exudates', 'yellow hard exudates', 'clusters of hard exudates'],
  cotton_wool_spot: ['cotton-wool spots', 'cotton wool spots along the arcades', 'soft exudates (cotton-wool spots)'],
  drusen: ['macular drusen', 'soft drusen at the macula', 'multiple yellow drusen'],
  enlarged_cup: ['an enlarged optic cup', 'increased cupping of the disc', 'a large cup'],
  arteriolar_narrowing: ['generalised arteriolar narrowing', 'attenuated arterioles', 'narrowed arterioles'],
  av_nicking: ['arteriovenous nicking', 'AV nipping at crossings', 'AV nicking'],
  neovascularisation: ['neovascularisation at the disc', 'new vessels on the disc', 'disc neovascularisation (NVD)'],
};

/** A full clinical caption, e.g. "Left eye fundus with moderate non-proliferative diabetic retinopathy: …; C/D 0.3". */
export function clinicalCaption(L: PhantomLabels, rng: Rng): string {
  const eye = L.eye === 'left' ? rng.pick(['Left eye', 'Left', 'LE']) : rng.pick(['Right eye', 'Right', 'RE']);
  const opening = rng.pick([`${eye} fundus with`, `${eye} fundus photograph showing`, `Colour fundus image of the ${L.eye} eye showing`]);
  const lesionKinds = L.findings.filter((k) => k !== 'enlarged_cup');
  const parts = lesionKinds.map((k) => locate(rng.pick(PHRASES[k]), k, L));
  const cdr = L.cdr.toFixed(1);
  const disc = L.findings.includes('enlarged_cup')
    ? rng.pick([`${rng.pick(PHRASES.enlarged_cup)}, C/D ${cdr}`, `vertical cup-to-disc ratio ${cdr}`, `cupped disc, C/D ${cdr}`])
    : rng.pick([`disc margins sharp, C/D ${cdr}`, `healthy disc, C/D ${cdr}`, `normal optic disc, C/D ${cdr}`]);
  const body = L.diagnosis === 'normal' ? rng.pick(['normal macula and vessels', 'no retinopathy', 'normal vessels, foveal reflex present']) : parts.join(', ');
  let text = `${opening} ${diagnosisPhrase(L)}${body ? `: ${body}` : ''}; ${disc}`;
  if (L.quality === 1) text += rng.pick(['. Poor image quality', '. Image of poor quality']);
  else if (L.quality === 2) text += rng.pick(['. Adequate image quality', '. Image quality usable']);
  return text;
}

/** MINIM-style short form, e.g. "Fundus, moderate NPDR" or "Fundus, normal". */
export function shortCaption(L: PhantomLabels): string {
  switch (L.diagnosis) {
    case 'normal':
      return 'Fundus, normal';
    case 'diabetic_retinopathy':
      return `Fundus, ${['no DR', 'mild NPDR', 'moderate NPDR', 'severe NPDR', 'PDR'][L.grade]}`;
    case 'glaucoma':
      return `Fundus, glaucoma, C/D ${L.cdr.toFixed(1)}`;
    case 'hypertensive_retinopathy':
      return `Fundus, ${HR_GRADE[L.grade]} hypertensive retinopathy`;
    case 'amd':
      return `Fundus, ${AMD_GRADE[L.grade]} AMD`;
  }
}

function locate(phrase: string, kind: FindingKind, L: PhantomLabels): string {
  if (kind !== 'hard_exudate') return phrase;
  const sites = L.sites.filter((s) => s.kind === kind);
  return `${phrase} ${where(sites, L)}`;
}

function where(sites: FindingSite[], L: PhantomLabels): string {
  const mx = sites.reduce((a, s) => a + s.x, 0) / sites.length;
  const towardDisc = Math.sign(L.disc.x - L.fovea.x);
  const offset = (mx - L.fovea.x) * towardDisc;
  if (offset < -0.08) return 'temporal to the macula';
  if (offset > 0.08) return 'between the macula and the disc';
  return 'around the macula';
}

// The parser: which findings a caption claims. Short forms imply the findings of their diagnosis.
const PATTERNS: [FindingKind, RegExp][] = [
  ['microaneurysm', /micro-?aneurysm/i],
  ['dot_blot_haemorrhage', /\b(dot|blot)\b[^.;,]*ha?emorrhage|intraretinal[^.;,]*ha?emorrhage/i],
  ['flame_haemorrhage', /flame|splinter/i],
  ['hard_exudate', /hard exudate|yellow exudate/i],
  ['cotton_wool_spot', /cotton[- ]?wool|soft exudate/i],
  ['drusen', /drusen/i],
  ['enlarged_cup', /enlarged[^.;,]*cup|increased cupping|large cup|cupped|cupping|glaucom/i],
  ['arteriolar_narrowing', /arteriolar narrowing|attenuated arteriol|narrowed arteriol/i],
  ['av_nicking', /\bav nick|\bav nipp|arterio-?venous nick/i],
  ['neovascularisation', /neovasculari[sz]ation|new vessels|\bNVD\b|\bNVE\b|\bPDR\b|(?<!non-)\bproliferative diabetic/i],
];

const SHORT_FORMS: [RegExp, FindingKind[]][] = [
  [/\bmild NPDR\b|\bmild non-proliferative/i, ['microaneurysm']],
  [/\bmoderate NPDR\b|\bmoderate non-proliferative/i, ['microaneurysm', 'dot_blot_haemorrhage', 'hard_exudate']],
  [/\bsevere NPDR\b|\bsevere non-proliferative/i, ['microaneurysm', 'dot_blot_haemorrhage', 'hard_exudate', 'cotton_wool_spot']],
  [/\bPDR\b|(?<!non-)\bproliferative diabetic/i, ['microaneurysm', 'dot_blot_haemorrhage', 'hard_exudate', 'cotton_wool_spot', 'neovascularisation']],
  [/\bAMD\b|macular degeneration/i, ['drusen']],
  [/hypertensive/i, ['arteriolar_narrowing', 'av_nicking']],
];

/** The set of findings a caption claims, from its explicit wording and, for short forms, its diagnosis. */
export function findingsFromCaption(text: string): Set<FindingKind> {
  const out = new Set<FindingKind>();
  for (const [kind, re] of PATTERNS) if (re.test(text)) out.add(kind);
  for (const [re, kinds] of SHORT_FORMS) if (re.test(text)) kinds.forEach((k) => out.add(k));
  // An explicit C/D ratio decides the cup, whatever the words around it.
  const cd = /(?:C\/D|cup-to-disc ratio)\s*(?:of\s*)?(\d(?:\.\d+)?)/i.exec(text);
  if (cd) {
    if (Number(cd[1]) >= 0.6) out.add('enlarged_cup');
    else out.delete('enlarged_cup');
  }
  if (/\bno (abnormality|retinopathy|DR)\b|\bnormal\b(?! optic| vessels| macula)/i.test(text) && out.size === 0) out.clear();
  return out;
}
