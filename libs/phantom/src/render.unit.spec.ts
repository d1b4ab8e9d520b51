import { clinicalCaption as caption, createRng, findingsFromCaption, renderPhantom, shortCaption } from './index';
import { sampleLabels } from './scene';

const R = (size: number) => size * 0.47;

describe('renderPhantom', () => {
  it('is deterministic: same seed gives the same bytes, another seed different bytes', () => {
    const a = renderPhantom({ seed: 42, size: 96 });
    const b = renderPhantom({ seed: 42, size: 96 });
    const c = renderPhantom({ seed: 43, size: 96 });
    expect(Buffer.from(a.rgb).equals(Buffer.from(b.rgb))).toBe(true);
    expect(a.caption).toBe(b.caption);
    expect(a.labels).toEqual(b.labels);
    expect(Buffer.from(a.rgb).equals(Buffer.from(c.rgb))).toBe(false);
  });

  it('renders any size from 32 to 512 with a black surround and a bright field', () => {
    for (const size of [32, 77, 300]) {
      const p = renderPhantom({ seed: 1, size, quality: 3 });
      expect(p.rgb.length).toBe(size * size * 3);
      expect(p.rgb[0] + p.rgb[1] + p.rgb[2]).toBe(0); // corner
      const c = ((size >> 1) * size + (size >> 1)) * 3;
      expect(p.rgb[c]).toBeGreaterThan(p.rgb[c + 1]); // orange-red: red over green
    }
    expect(() => renderPhantom({ seed: 1, size: 31 })).toThrow(/size/);
    expect(() => renderPhantom({ seed: 1, size: 513 })).toThrow(/size/);
  });

  it('draws bright yellow pixels where exudates are labelled, and none without exudates', () => {
    const size = 192;
    const isYellow = (rgb: Uint8ClampedArray, i: number) => rgb[i] > 200 && rgb[i + 1] > 170 && rgb[i + 2] < 0.55 * rgb[i + 1];
    for (let seed = 0; seed < 4; seed++) {
      const p = renderPhantom({ seed, size, diagnosis: 'diabetic_retinopathy', grade: 2, quality: 3 });
      const sites = p.labels.sites.filter((s) => s.kind === 'hard_exudate');
      expect(sites.length).toBeGreaterThan(0);
      let near = 0;
      for (const s of sites) {
        const cx = size / 2 + s.x * R(size);
        const cy = size / 2 + s.y * R(size);
        let hit = false;
        for (let y = Math.floor(cy - 2); y <= cy + 2; y++) for (let x = Math.floor(cx - 2); x <= cx + 2; x++) if (isYellow(p.rgb, (y * size + x) * 3)) hit = true;
        if (hit) near++;
      }
      expect(near / sites.length).toBeGreaterThanOrEqual(0.8);
      const clean = renderPhantom({ seed, size, diagnosis: 'normal', quality: 3 });
      let yellow = 0;
      for (let i = 0; i < clean.rgb.length; i += 3) if (isYellow(clean.rgb, i)) yellow++;
      expect(yellow).toBe(0);
    }
  });

  it('draws deep-red blood where microaneurysms and haemorrhages are labelled, and none in a normal eye', () => {
    const size = 160;
    const isBlood = (rgb: Uint8ClampedArray, i: number) => rgb[i] > 60 && rgb[i] > 6 * (rgb[i + 1] + 3);
    for (let seed = 10; seed < 13; seed++) {
      const p = renderPhantom({ seed, size, diagnosis: 'diabetic_retinopathy', grade: 3, quality: 3 });
      const sites = p.labels.sites.filter((s) => s.kind === 'microaneurysm' || s.kind === 'dot_blot_haemorrhage');
      let near = 0;
      for (const s of sites) {
        const cx = size / 2 + s.x * R(size);
        const cy = size / 2 + s.y * R(size);
        let hit = false;
        for (let y = Math.floor(cy - 1); y <= cy + 1; y++) for (let x = Math.floor(cx - 1); x <= cx + 1; x++) if (isBlood(p.rgb, (y * size + x) * 3)) hit = true;
        if (hit) near++;
      }
      expect(near / sites.length).toBeGreaterThanOrEqual(0.8);
      const clean = renderPhantom({ seed, size, diagnosis: 'normal', quality: 3 });
      let blood = 0;
      for (let i = 0; i < clean.rgb.length; i += 3) if (isBlood(clean.rgb, i)) blood++;
      expect(blood).toBeLessThan(3);
    }
  });

  it('draws a larger pale cup when the labelled C/D ratio is larger', () => {
    const size = 192;
    const cupPixels = (seed: number, diagnosis: 'normal' | 'glaucoma') => {
      const p = renderPhantom({ seed, size, diagnosis, quality: 3 });
      const { disc } = p.labels;
      let n = 0;
      const cx = size / 2 + disc.x * R(size);
      const cy = size / 2 + disc.y * R(size);
      const reach = disc.r * R(size) * 1.5;
      for (let y = Math.floor(cy - reach); y <= cy + reach; y++)
        for (let x = Math.floor(cx - reach); x <= cx + reach; x++) {
          const i = (y * size + x) * 3;
          if (p.rgb[i + 2] > 0.7 * p.rgb[i] && p.rgb[i] > 180) n++;
        }
      return { n, cdr: p.labels.cdr, r: disc.r };
    };
    for (let seed = 0; seed < 5; seed++) {
      const small = cupPixels(seed, 'normal');
      const large = cupPixels(seed, 'glaucoma');
      expect(large.cdr).toBeGreaterThan(small.cdr);
      expect(large.n).toBeGreaterThan(small.n * 2);
    }
  });

  it('gives each diagnosis its findings and a caption that claims them', () => {
    const dr = renderPhantom({ seed: 5, size: 64, diagnosis: 'diabetic_retinopathy', grade: 4, quality: 3 });
    expect(dr.labels.findings).toEqual(expect.arrayContaining(['microaneurysm', 'dot_blot_haemorrhage', 'hard_exudate', 'cotton_wool_spot', 'neovascularisation']));
    expect([...findingsFromCaption(dr.caption)].sort()).toEqual([...dr.labels.findings].sort());
    const g = renderPhantom({ seed: 5, size: 64, diagnosis: 'glaucoma', quality: 3 });
    expect(g.labels.cdr).toBeGreaterThanOrEqual(0.6);
    expect([...findingsFromCaption(g.caption)]).toEqual(['enlarged_cup']);
    const n = renderPhantom({ seed: 5, size: 64, diagnosis: 'normal', quality: 3 });
    expect(findingsFromCaption(n.caption).size).toBe(0);
  });
});

describe('captions', () => {
  it('parse back to the true finding set for every caption wording, and short forms imply their diagnosis', () => {
    const texts = new Set<string>();
    const rng = createRng(4);
    for (let i = 0; i < 300; i++) {
      const labels = sampleLabels(rng);
      const text = caption(labels, rng);
      texts.add(text.split(':')[0]);
      expect([...findingsFromCaption(text)].sort()).toEqual([...labels.findings].sort());
    }
    expect(texts.size).toBeGreaterThan(15); // varied wording
    expect(findingsFromCaption('Fundus, moderate NPDR')).toEqual(new Set(['microaneurysm', 'dot_blot_haemorrhage', 'hard_exudate']));
    expect(findingsFromCaption('Fundus, glaucoma, C/D 0.8')).toEqual(new Set(['enlarged_cup']));
    expect(findingsFromCaption('Fundus, normal').size).toBe(0);
    const p = renderPhantom({ seed: 3, size: 32, diagnosis: 'amd', grade: 2 });
    expect(shortCaption(p.labels)).toBe('Fundus, intermediate AMD');
  });
});
