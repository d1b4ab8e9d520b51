import { GeneratorEvaluation, promotionGate } from './gate';

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a * 1664525 + 1013904223) >>> 0;
    return a / 2 ** 32;
  };
}

/** Per-sample values around `mean` with sample-specific difficulty shared by every version (same seeds). */
function evaluation(version: string, shift: { quality: number; match: number; reward: number }, fd: number): GeneratorEvaluation {
  const r = seeded(7);
  const difficulty = Array.from({ length: 64 }, () => r() * 0.4);
  const noise = seeded(version.length * 31 + 3);
  const around = (base: number, d: number[]) => d.map((x) => Math.min(1, Math.max(0, base - x + (noise() - 0.5) * 0.02)));
  return {
    version,
    judgeQuality: around(0.6 + shift.quality, difficulty),
    judgeMatch: around(0.5 + shift.match, difficulty),
    selectorReward: around(0.5 + shift.reward, difficulty),
    fdFundus: fd,
  };
}

describe('promotion gate', () => {
  const incumbent = evaluation('gen-1', { quality: 0, match: 0, reward: 0 }, 10);

  it('promotes a version the judge rates better', () => {
    const d = promotionGate(evaluation('gen-2', { quality: 0.05, match: 0.03, reward: 0.05 }, 9), incumbent);
    expect(d.promote).toBe(true);
    expect(d.deltas.judgeQuality.low).toBeGreaterThan(0);
    expect(d.reason).toMatch(/gen-2 promoted over gen-1/);
  });

  it('rejects reward hacking: the selector is pleased while the held-out judge falls', () => {
    const hacked = evaluation('gen-hack', { quality: -0.08, match: 0, reward: 0.3 }, 10);
    const d = promotionGate(hacked, incumbent);
    expect(d.promote).toBe(false);
    expect(d.reason).toMatch(/reward hacking: selector reward rose/);
    expect(d.reason).toMatch(/judge quality fell/);
  });

  it('rejects a reward rise that the judge does not see at all (judge flat at zero)', () => {
    const zeros = (v: string, reward: number): GeneratorEvaluation => ({ version: v, judgeQuality: new Array(8).fill(0), judgeMatch: new Array(8).fill(0.2), selectorReward: Array.from({ length: 8 }, (_, i) => reward + i * 0.001), fdFundus: 5 });
    const d = promotionGate(zeros('gen-b', 0.6), zeros('gen-a', 0.5));
    expect(d.promote).toBe(false);
    expect(d.reason).toMatch(/reward hacking/);
  });

  it('rejects a version whose FD-fundus worsens beyond the tolerance, even when the judge is level', () => {
    const d = promotionGate(evaluation('gen-3', { quality: 0, match: 0, reward: 0 }, 14), incumbent);
    expect(d.promote).toBe(false);
    expect(d.reason).toMatch(/FD-fundus rose from 10\.000 to 14\.000/);
  });

  it('keeps a version that is level within noise', () => {
    expect(promotionGate(evaluation('gen-4', { quality: 0, match: 0, reward: 0 }, 10.5), incumbent).promote).toBe(true);
  });

  it('refuses unpaired evaluations', () => {
    const short = { ...incumbent, version: 'x', judgeQuality: [0.5] };
    expect(() => promotionGate(short, incumbent)).toThrow(/paired samples/);
  });
});
