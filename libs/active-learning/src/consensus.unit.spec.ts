import { dawidSkene, Label, majorityVote } from './consensus';
import { seededRandom } from './random';

/** Raters of mixed skill: a skilled one is right with p = skill, else answers uniformly at random. */
function simulate(seed: number, items: number, skills: number[]): { truth: Map<string, number>; labels: Label[] } {
  const random = seededRandom(seed);
  const truth = new Map<string, number>();
  const labels: Label[] = [];
  for (let i = 0; i < items; i++) {
    const item = `img-${i}`;
    const t = 1 + Math.floor(random() * 3);
    truth.set(item, t);
    skills.forEach((skill, r) => {
      const value = random() < skill ? t : 1 + Math.floor(random() * 3);
      labels.push({ item, rater: `rater-${r}`, value });
    });
  }
  return { truth, labels };
}

function accuracy(pred: Map<string, number>, truth: Map<string, number>): number {
  let right = 0;
  for (const [item, t] of truth) if (pred.get(item) === t) right++;
  return right / truth.size;
}

describe('Dawid–Skene consensus', () => {
  it('recovers the truth better than majority vote when raters differ in skill', () => {
    const figures: string[] = [];
    let dsWins = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const { truth, labels } = simulate(seed, 300, [0.95, 0.9, 0.2, 0.15, 0.1]);
      const ds = accuracy(dawidSkene(labels).labels, truth);
      const mv = accuracy(majorityVote(labels), truth);
      figures.push(`seed ${seed}: Dawid–Skene ${ds.toFixed(3)} vs majority ${mv.toFixed(3)}`);
      if (ds > mv) dsWins++;
    }
    process.stdout.write(figures.join('\n') + '\n');
    expect(dsWins).toBe(5);
  });

  it('ranks rater reliability in the order of true skill', () => {
    const { labels } = simulate(11, 400, [0.95, 0.6, 0.1]);
    const rel = dawidSkene(labels).reliability;
    expect(rel.get('rater-0')!).toBeGreaterThan(rel.get('rater-1')!);
    expect(rel.get('rater-1')!).toBeGreaterThan(rel.get('rater-2')!);
    expect(rel.get('rater-0')!).toBeGreaterThan(0.9);
  });

  it('posteriors are distributions and a value outside the scale is refused', () => {
    const { labels } = simulate(3, 20, [0.9, 0.8, 0.7]);
    for (const p of dawidSkene(labels).posteriors.values()) expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(() => dawidSkene([{ item: 'a', rater: 'r', value: 5 }])).toThrow(/not one of the categories/);
  });
});
