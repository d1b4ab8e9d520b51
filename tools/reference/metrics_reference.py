"""Reference values for @forge/metrics, computed with numpy, scipy, scikit-image and Pillow.

Regenerate (not run by CI; the output is committed):
    python3 -m venv .cache/pyref
    .cache/pyref/bin/pip install numpy scipy scikit-image pillow
    .cache/pyref/bin/python tools/reference/metrics_reference.py
It writes libs/metrics/src/fixtures/reference.json. The inputs are regenerated from seeds in both
languages with the same integer generator (mulberry32) and the same integer/dyadic arithmetic, so
they are bit-identical in Python and TypeScript (libs/metrics/src/fixtures/reference-inputs.ts).
"""
import json
import math
import os
import sys

import numpy as np
import PIL
import scipy
import skimage
from PIL import Image
from scipy import ndimage, stats
from skimage.metrics import structural_similarity

M32 = 0xFFFFFFFF


class Mulberry32:
    def __init__(self, seed):
        self.a = seed & M32

    def next_u32(self):
        self.a = (self.a + 0x6D2B79F5) & M32
        t = self.a
        t = ((t ^ (t >> 15)) * (t | 1)) & M32
        t = (((t + (((t ^ (t >> 7)) * (t | 61)) & M32)) & M32) ^ t) & M32
        return (t ^ (t >> 14)) & M32

    def uniform(self):
        return self.next_u32() / 4294967296.0


# ---- inputs (mirrored exactly in reference-inputs.ts) ----

def test_pattern(width, height, seed, channels=3, cx=None, cy=None):
    """A disc with a radial fall-off, diagonal 'vessels' and noise; integer arithmetic only."""
    rng = Mulberry32(seed)
    cx = width // 2 if cx is None else cx
    cy = height // 2 if cy is None else cy
    r2 = (min(width, height) * 2 // 5) ** 2
    base_colour = [200, 90, 40]
    out = np.zeros((height, width, channels), dtype=np.uint8)
    for y in range(height):
        for x in range(width):
            d2 = (x - cx) ** 2 + (y - cy) ** 2
            for c in range(channels):
                noise = rng.next_u32() >> 24
                if d2 <= r2:
                    v = base_colour[c % 3] - (d2 * 60) // max(r2, 1)
                    if (x + 2 * y) % 11 == 0:
                        v = v // 2
                else:
                    v = 5
                v = v + (noise % 31) - 15
                out[y, x, c] = min(255, max(0, v))
    return out


def feature_set(n, d, seed, scale, shift):
    rng = Mulberry32(seed)
    x = np.zeros((n, d))
    for i in range(n):
        for j in range(d):
            u = rng.uniform()
            v = rng.uniform()
            value = (u + v - 1.0) * scale + shift
            if j > 0:
                value = value + 0.5 * x[i, j - 1]
            x[i, j] = value
    return x


def class_probabilities(n, classes, seed, sharpness):
    rng = Mulberry32(seed)
    p = np.zeros((n, classes))
    for i in range(n):
        logits = [rng.uniform() * sharpness for _ in range(classes)]
        favourite = i % classes
        logits[favourite] = logits[favourite] + sharpness
        m = max(logits)
        e = [math.exp(l - m) for l in logits]
        s = sum(e)
        p[i] = [v / s for v in e]
    return p


def ranked_values(n, seed):
    rng = Mulberry32(seed)
    a = [math.floor(rng.uniform() * 20) for _ in range(n)]
    b = [a[i] + math.floor(rng.uniform() * 12) for i in range(n)]
    return a, b


# ---- the five metrics, as DESIGN defines them ----

def luma_pil(rgb):
    """What PIL's convert('L') does, checked against Pillow below."""
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    return ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(np.uint8)


def five_metrics(rgb):
    grey = np.asarray(Image.fromarray(rgb, 'RGB').convert('L'), dtype=np.float64) / 255.0
    h, w = grey.shape
    mean = grey.mean()
    std = grey.std()
    centre = grey[h // 4:3 * h // 4, w // 4:3 * w // 4]
    border = np.concatenate([grey[:h // 4].ravel(), grey[-h // 4:].ravel(), grey[:, :w // 4].ravel(), grey[:, -w // 4:].ravel()])
    return {
        'snr': float(mean / (std + 1e-8)),
        'contrast': float(grey.max() - grey.min()),
        'sharpness': float(np.mean(np.abs(ndimage.sobel(grey)))),
        'vesselVisibility': float(np.std(grey - ndimage.gaussian_filter(grey, 2))),
        'uniformity': float(centre.mean() - border.mean()),
    }


# ---- SSIM and MS-SSIM ----

SIGMA = 1.5
TRUNCATE = 3.5
WIN = 2 * int(TRUNCATE * SIGMA + 0.5) + 1
MS_WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]


def ssim_and_cs(a, b):
    """skimage's structural_similarity (Gaussian, population covariance), also returning mean CS."""
    f = lambda z: ndimage.gaussian_filter(z, SIGMA, truncate=TRUNCATE, mode='reflect')
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    ux, uy = f(a), f(b)
    vx = f(a * a) - ux * ux
    vy = f(b * b) - uy * uy
    vxy = f(a * b) - ux * uy
    cs = (2 * vxy + c2) / (vx + vy + c2)
    s = ((2 * ux * uy + c1) / (ux * ux + uy * uy + c1)) * cs
    pad = (WIN - 1) // 2
    crop = lambda z: z[pad:-pad, pad:-pad]
    return float(crop(s).mean()), float(crop(cs).mean())


def downsample(z):
    h, w = (z.shape[0] // 2) * 2, (z.shape[1] // 2) * 2
    z = z[:h, :w]
    return (z[0::2, 0::2] + z[1::2, 0::2] + z[0::2, 1::2] + z[1::2, 1::2]) / 4


def ms_ssim(a, b):
    scales = 1
    while scales < 5 and min(a.shape) // (2 ** scales) >= WIN:
        scales += 1
    weights = np.array(MS_WEIGHTS[:scales])
    weights = weights / weights.sum()
    value = 1.0
    for j in range(scales):
        s, cs = ssim_and_cs(a, b)
        if j == scales - 1:
            value *= max(s, 0.0) ** weights[j]
        else:
            value *= max(cs, 0.0) ** weights[j]
            a, b = downsample(a), downsample(b)
    return float(value), scales


# ---- feature-space metrics ----

def frechet(x, y):
    mu1, mu2 = x.mean(0), y.mean(0)
    c1, c2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    covmean = scipy.linalg.sqrtm(c1 @ c2)
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(c1) + np.trace(c2) - 2 * np.trace(covmean))


def mmd2_unbiased(x, y):
    d = x.shape[1]
    k = lambda p, q: (p @ q.T / d + 1) ** 3
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    m, n = len(x), len(y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1)) - 2 * kxy.sum() / (m * n))


def sample_without_replacement(n, k, rng):
    idx = list(range(n))
    for i in range(k):
        j = i + math.floor(rng.uniform() * (n - i))
        idx[i], idx[j] = idx[j], idx[i]
    return idx[:k]


def kid(x, y, subsets, subset_size, seed):
    rng = Mulberry32(seed)
    m = min(subset_size, len(x), len(y))
    values = []
    for _ in range(subsets):
        a = sample_without_replacement(len(x), m, rng)
        b = sample_without_replacement(len(y), m, rng)
        values.append(mmd2_unbiased(x[a], y[b]))
    return float(np.mean(values)), float(np.std(values))


def precision_recall(real, fake, k=3):
    def radii(z):
        d = np.sqrt(((z[:, None, :] - z[None, :, :]) ** 2).sum(-1))
        return np.partition(d, k, axis=1)[:, k]

    def coverage(manifold, r, probes):
        d = np.sqrt(((probes[:, None, :] - manifold[None, :, :]) ** 2).sum(-1))
        return float((d <= r[None, :]).any(axis=1).mean())

    return coverage(real, radii(real), fake), coverage(fake, radii(fake), real)


def inception_score(p, splits):
    scores = []
    n = len(p)
    for s in range(splits):
        part = p[s * (n // splits):(s + 1) * (n // splits)]
        py = part.mean(0, keepdims=True)
        kl = np.where(part > 0, part * (np.log(np.where(part > 0, part, 1)) - np.log(py)), 0).sum(1)
        scores.append(math.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = {
        'generatedWith': {'numpy': np.__version__, 'scipy': scipy.__version__, 'scikit-image': skimage.__version__, 'Pillow': PIL.__version__},
    }
    g = Mulberry32(42)
    out['mulberry32First'] = [g.next_u32() for _ in range(5)]

    # Pillow's rounding of convert('L'), on every colour of a coarse RGB lattice plus the test images.
    lattice = np.array([[r, gg, b] for r in range(0, 256, 3) for gg in range(0, 256, 5) for b in range(0, 256, 7)], dtype=np.uint8)[None]
    assert np.array_equal(luma_pil(lattice), np.asarray(Image.fromarray(lattice, 'RGB').convert('L'))), 'luma formula differs from Pillow'

    images = []
    for (w, h, seed) in [(45, 37, 1), (64, 64, 2), (7, 9, 3), (31, 30, 4), (13, 50, 5)]:
        rgb = test_pattern(w, h, seed)
        pil_l = np.asarray(Image.fromarray(rgb, 'RGB').convert('L'))
        assert np.array_equal(luma_pil(rgb), pil_l)
        images.append({'width': w, 'height': h, 'seed': seed, 'lumaSum': int(pil_l.astype(np.int64).sum()), 'lumaFirst': pil_l.ravel()[:16].tolist(), 'metrics': five_metrics(rgb)})
    out['images'] = images

    ssim_cases = []
    for (w, h, seed_a, seed_b, shift) in [(48, 40, 11, 12, 0), (32, 32, 13, 14, 5), (96, 90, 15, 16, 2), (180, 176, 17, 18, 1), (11, 11, 19, 20, 0)]:
        a = test_pattern(w, h, seed_a, channels=1)[..., 0].astype(np.float64) / 255
        b = test_pattern(w, h, seed_b, channels=1, cx=w // 2 + shift, cy=h // 2)[..., 0].astype(np.float64) / 255
        sk = structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0)
        mine, _ = ssim_and_cs(a, b)
        assert abs(sk - mine) < 1e-12, (sk, mine)
        ms, scales = ms_ssim(a, b)
        ssim_cases.append({'width': w, 'height': h, 'seedA': seed_a, 'seedB': seed_b, 'shift': shift, 'ssim': float(sk), 'msSsim': ms, 'scales': scales})
    out['ssim'] = ssim_cases

    feats = []
    for (n1, n2, d, seed) in [(120, 100, 16, 21), (200, 150, 32, 22)]:
        x = feature_set(n1, d, seed, 1.0, 0.0)
        y = feature_set(n2, d, seed + 100, 1.25, 0.125)
        kid_mean, kid_std = kid(x, y, subsets=10, subset_size=50, seed=7)
        precision, recall = precision_recall(x, y, k=3)
        feats.append({
            'nA': n1, 'nB': n2, 'dim': d, 'seedA': seed, 'seedB': seed + 100,
            'frechet': frechet(x, y), 'frechetSelf': frechet(x, x),
            'mmd2': mmd2_unbiased(x, y),
            'kid': {'subsets': 10, 'subsetSize': 50, 'seed': 7, 'mean': kid_mean, 'std': kid_std},
            'precision': precision, 'recall': recall,
        })
    out['features'] = feats

    p = class_probabilities(100, 10, 31, 3.0)
    is_mean, is_std = inception_score(p, 10)
    out['inceptionScore'] = {'n': 100, 'classes': 10, 'seed': 31, 'sharpness': 3.0, 'splits': 10, 'mean': is_mean, 'std': is_std}

    a, b = ranked_values(60, 41)
    labels = [1 if (i * 7) % 3 == 0 else 0 for i in range(60)]
    pos = [b[i] for i in range(60) if labels[i] == 1]
    neg = [b[i] for i in range(60) if labels[i] == 0]
    out['stats'] = {
        'n': 60, 'seed': 41,
        'spearman': float(stats.spearmanr(a, b).statistic),
        'auc': float(stats.mannwhitneyu(pos, neg).statistic / (len(pos) * len(neg))),
        'tQuantile975': {str(df): float(stats.t.ppf(0.975, df)) for df in [1, 2, 5, 10, 29, 100]},
    }

    target = os.path.join(root, 'libs', 'metrics', 'src', 'fixtures', 'reference.json')
    with open(target, 'w') as fh:
        json.dump(out, fh, indent=1)
        fh.write('\n')
    print(f'wrote {target}', file=sys.stderr)


if __name__ == '__main__':
    main()
