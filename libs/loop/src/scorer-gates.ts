import type { Policy, Selector } from '@forge/ml';
import { auc, spearman } from '@forge/metrics';
import type { RatedImage } from './labeling';
import { inChunks, type Pixels } from './pixels';

// How a new selector or policy version is judged: on the validation ratings (a fixed fifth of the rated
// images that never trains either model), against the version serving now. The embedded loop and the
// train jobs of a distributed deployment decide with the same rule.

/** How far a new version's agreement may fall below the serving one's and still be promoted (validation sets are small). */
export const SCORER_TOLERANCE = 0.1;

export function selectorScores(selector: Selector, images: readonly Pixels[]): number[] {
  return inChunks(images, 32, (batch) => Array.from(selector.predict(batch).score));
}

/** Rank agreement of the selector with the panel's quality consensus (null when undefined). */
export function selectorAgreement(selector: Selector, rated: readonly RatedImage[]): number | null {
  if (rated.length < 3) return null;
  const s = spearman(selectorScores(selector, rated.map((r) => r.pixels)), rated.map((r) => r.consensus.quality));
  return Number.isFinite(s) ? s : null;
}

/** How well the policy separates pairs the panel calls aligned (consensus 3) from the rest. */
export function policyAgreement(policy: Policy, rated: readonly RatedImage[]): number | null {
  const labels = rated.map((r) => r.consensus.alignment >= 3);
  if (!labels.includes(true) || !labels.includes(false)) return null;
  const scores = inChunks(rated.map((r) => r.pixels), 32, (batch, from) => Array.from(policy.score(batch, rated.slice(from, from + batch.shape[0]).map((r) => r.caption))));
  const a = auc(scores, labels);
  return Number.isFinite(a) ? a : null;
}

export interface ScorerDecision {
  metrics: Record<string, number>;
  passed: boolean;
  reason: string;
  /** Validation agreement of the version that serves after the decision (the candidate if passed, else the incumbent). */
  serving: number | null;
}

interface Versioned<M> {
  model: M;
  version: string;
}

const fmt = (x: number | null) => x?.toFixed(3) ?? 'n/a';

/** Promoted unless its validation agreement falls more than the tolerance below the serving version's (or either is undefined). */
function decide(candidate: number | null, incumbent: number | null): boolean {
  return candidate === null || incumbent === null || candidate >= incumbent - SCORER_TOLERANCE;
}

export function selectorDecision(candidate: Versioned<Selector>, incumbent: Versioned<Selector> | null, validation: readonly RatedImage[]): ScorerDecision {
  const mine = selectorAgreement(candidate.model, validation);
  if (!incumbent) return { metrics: { spearman: mine ?? NaN }, passed: true, reason: `selector ${candidate.version}: first version (validation Spearman ${fmt(mine)})`, serving: mine };
  const theirs = selectorAgreement(incumbent.model, validation);
  const passed = decide(mine, theirs);
  return { metrics: { spearman: mine ?? NaN }, passed, reason: `selector ${candidate.version}: validation Spearman ${fmt(mine)} against ${fmt(theirs)} for ${incumbent.version}`, serving: passed ? mine : theirs };
}

export function policyDecision(candidate: Versioned<Policy>, incumbent: Versioned<Policy> | null, validation: readonly RatedImage[]): ScorerDecision {
  const mine = policyAgreement(candidate.model, validation);
  if (!incumbent) return { metrics: { auc: mine ?? NaN }, passed: true, reason: `policy ${candidate.version}: first version (validation AUC ${fmt(mine)})`, serving: mine };
  const theirs = policyAgreement(incumbent.model, validation);
  const passed = decide(mine, theirs);
  return { metrics: { auc: mine ?? NaN }, passed, reason: `policy ${candidate.version}: validation AUC ${fmt(mine)} against ${fmt(theirs)} for ${incumbent.version}`, serving: passed ? mine : theirs };
}
