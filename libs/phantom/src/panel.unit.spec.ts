import { createPanel, renderPhantom } from './index';

describe('simulated expert panel', () => {
  const images = Array.from({ length: 24 }, (_, i) => renderPhantom({ seed: 300 + i, size: 64, quality: ((i % 3) + 1) as 1 | 2 | 3 }));
  const panel = createPanel({
    seed: 11,
    raters: [
      { id: 'strict', skill: 0.5, bias: -0.8 },
      { id: 'lenient', skill: 0.5, bias: 0.8 },
      { id: 'expert', skill: 0.95, bias: 0 },
      { id: 'novice', skill: 0.05, bias: 0 },
    ],
  });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const corr = (a: number[], b: number[]) => {
    const ma = mean(a);
    const mb = mean(b);
    let n = 0;
    let da = 0;
    let db = 0;
    for (let i = 0; i < a.length; i++) {
      n += (a[i] - ma) * (b[i] - mb);
      da += (a[i] - ma) ** 2;
      db += (b[i] - mb) ** 2;
    }
    return n / Math.sqrt(da * db);
  };
  const truth = (i: number) => ({ quality: images[i].labels.quality, captionMatches: true });
  const ratings = (id: string) => images.map((p, i) => panel.rate(id, p, p.caption, truth(i)));

  it('a strict rater rates lower on average than a lenient one', () => {
    expect(mean(ratings('strict').map((r) => r.quality))).toBeLessThan(mean(ratings('lenient').map((r) => r.quality)) - 0.3);
  });

  it('a skilled rater agrees more with the true quality than a novice', () => {
    const t = images.map((p) => p.labels.quality);
    const expert = corr(ratings('expert').map((r) => r.quality), t);
    const novice = corr(ratings('novice').map((r) => r.quality), t);
    expect(expert).toBeGreaterThan(novice + 0.1);
    expect(expert).toBeGreaterThan(0.7);
  });

  it('asked the same image twice, a rater answers consistently but not identically every time', () => {
    const p = createPanel({ seed: 5, raters: [{ id: 'r', skill: 0.4, bias: 0 }] });
    let same = 0;
    let n = 0;
    const times = new Set<number>();
    for (const img of images) {
      const a = p.rate('r', img, img.caption);
      const b = p.rate('r', img, img.caption);
      times.add(a.msSpent).add(b.msSpent);
      n++;
      if (a.quality === b.quality) same++;
    }
    expect(same / n).toBeGreaterThanOrEqual(0.6);
    expect(times.size).toBeGreaterThan(n); // time spent varies from ask to ask
  });

  it('is reproducible from its seed and refuses unknown raters and bad profiles', () => {
    const again = createPanel({ seed: 11, raters: panel.raters });
    expect(images.slice(0, 5).map((p) => again.rate('expert', p, p.caption))).toEqual(images.slice(0, 5).map((p) => createPanel({ seed: 11, raters: panel.raters }).rate('expert', p, p.caption)));
    expect(() => panel.rate('nobody', images[0], 'x')).toThrow(/no rater 'nobody'/);
    expect(() => createPanel({ seed: 1, raters: [{ id: 'x', skill: 2, bias: 0 }] })).toThrow(/skill/);
  });
});
