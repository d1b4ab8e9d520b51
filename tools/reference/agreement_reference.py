"""Reference values for @forge/active-learning's agreement measures.

Regenerate (not run by CI):
  python3 -m venv .cache/pyal && .cache/pyal/bin/pip install krippendorff scikit-learn numpy
  .cache/pyal/bin/python tools/reference/agreement_reference.py > libs/active-learning/src/fixtures/agreement.json
"""
import json

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score

rng = np.random.default_rng(7)
cases = []
for n_units, n_raters, missing in [(12, 3, 0.0), (40, 4, 0.3), (25, 5, 0.5)]:
    truth = rng.integers(1, 4, size=n_units)
    noise = rng.integers(-1, 2, size=(n_raters, n_units)) * (rng.random((n_raters, n_units)) < 0.35)
    ratings = np.clip(truth + noise, 1, 3).astype(float)
    ratings[rng.random(ratings.shape) < missing] = np.nan
    alpha = krippendorff.alpha(reliability_data=ratings, level_of_measurement="ordinal")
    units = [[None if np.isnan(v) else int(v) for v in ratings[:, u]] for u in range(n_units)]
    cases.append({"units": units, "alphaOrdinal": alpha})

kappas = []
for n in [10, 50]:
    a = rng.integers(1, 4, size=n)
    b = np.clip(a + rng.integers(-1, 2, size=n) * (rng.random(n) < 0.4), 1, 3)
    kappas.append({"a": a.tolist(), "b": b.tolist(), "kappaQuadratic": cohen_kappa_score(a, b, weights="quadratic")})

print(json.dumps({"alpha": cases, "kappa": kappas}, separators=(",", ":")))
