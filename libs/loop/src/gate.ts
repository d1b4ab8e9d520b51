import { meanCI } from '@forge/metrics';

/**
 * What an evaluation measured for one generator version, per sample, on the SAME prompts and seeds
 * for every version: the comparison is paired, so noise shared by both versions cancels.
 */
export interface GeneratorEvaluation {
  version: string;
  /** Held-out judge quality per sample, [0,1]. The loop never trains against it. */
  judgeQuality: readonly number[];
  /** Held-out judge prompt match per sample, [0,1]. */
  judgeMatch: readonly number[];
  /** The loop's own selector score per sample, [0,1]: what the generator was refined towards. */
  selectorReward: readonly number[];
  /** Fréchet distance to real images in the fundus feature space (lower is better). */
  fdFundus: number;
}

export interface GateOptions {
  /** A paired mean drop whose 95% interval lies wholly below −noise counts as worse. */
  judgeNoise: number;
  /** FD-fundus may rise by this fraction before it counts as worse. */
  fdTolerance: number;
}

export const DEFAULT_GATE_OPTIONS: GateOptions = { judgeNoise: 0.01, fdTolerance: 0.1 };

export interface PairedDelta {
  mean: number;
  low: number;
  high: number;
}

export interface GateDecision {
  promote: boolean;
  /** One sentence a reviewer can read in the audit trail. */
  reason: string;
  deltas: { judgeQuality: PairedDelta; judgeMatch: PairedDelta; selectorReward: PairedDelta; fdFundusRatio: number };
}

function pairedDelta(candidate: readonly number[], incumbent: readonly number[], name: string): PairedDelta {
  if (candidate.length !== incumbent.length || candidate.length < 2) {
    throw Object.assign(new RangeError(`gate: ${name} needs the same number (≥ 2) of paired samples, got ${candidate.length} and ${incumbent.length}`), {
      code: 'INVALID_INPUT',
    });
  }
  const ci = meanCI(candidate.map((v, i) => v - incumbent[i]));
  return { mean: ci.estimate, low: ci.low, high: ci.high };
}

const fmt = (d: PairedDelta) => `${d.mean >= 0 ? '+' : ''}${d.mean.toFixed(3)} [${d.low.toFixed(3)}, ${d.high.toFixed(3)}]`;

/**
 * Promote a candidate only when the held-out judge and FD-fundus are not worse beyond noise.
 * A selector reward that rises while the judge falls (or stays flat) is reward hacking: the generator learned to
 * please the model it was tuned against, not to make better images.
 */
export function promotionGate(candidate: GeneratorEvaluation, incumbent: GeneratorEvaluation, options: Partial<GateOptions> = {}): GateDecision {
  const o = { ...DEFAULT_GATE_OPTIONS, ...options };
  const deltas = {
    judgeQuality: pairedDelta(candidate.judgeQuality, incumbent.judgeQuality, 'judgeQuality'),
    judgeMatch: pairedDelta(candidate.judgeMatch, incumbent.judgeMatch, 'judgeMatch'),
    selectorReward: pairedDelta(candidate.selectorReward, incumbent.selectorReward, 'selectorReward'),
    fdFundusRatio: incumbent.fdFundus > 0 ? candidate.fdFundus / incumbent.fdFundus : candidate.fdFundus === 0 ? 1 : Infinity,
  };
  const worse = (d: PairedDelta) => d.high < -o.judgeNoise;
  const reasons: string[] = [];
  // A reward that rises while the judge sees no gain beyond noise (flat counts: a generator whose
  // samples the judge scores 0 before and after has only learned the reward model's blind spot).
  if (deltas.selectorReward.low > 0 && deltas.judgeQuality.mean <= o.judgeNoise) {
    reasons.push(`reward hacking: selector reward rose ${fmt(deltas.selectorReward)} while judge quality did not rise beyond noise (${fmt(deltas.judgeQuality)})`);
  }
  if (worse(deltas.judgeQuality)) reasons.push(`judge quality fell ${fmt(deltas.judgeQuality)}`);
  if (worse(deltas.judgeMatch)) reasons.push(`judge prompt match fell ${fmt(deltas.judgeMatch)}`);
  if (deltas.fdFundusRatio > 1 + o.fdTolerance) {
    reasons.push(`FD-fundus rose from ${incumbent.fdFundus.toFixed(3)} to ${candidate.fdFundus.toFixed(3)} (×${deltas.fdFundusRatio.toFixed(2)})`);
  }
  if (reasons.length) return { promote: false, reason: `${candidate.version} rejected against ${incumbent.version}: ${reasons.join('; ')}${reasons[0].startsWith('reward hacking') ? '' : ` (selector reward ${fmt(deltas.selectorReward)})`}`, deltas };
  return {
    promote: true,
    reason: `${candidate.version} promoted over ${incumbent.version}: judge quality ${fmt(deltas.judgeQuality)}, match ${fmt(deltas.judgeMatch)}, selector reward ${fmt(deltas.selectorReward)}, FD-fundus ×${deltas.fdFundusRatio.toFixed(2)}`,
    deltas,
  };
}
