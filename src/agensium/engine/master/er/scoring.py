"""Fellegi-Sunter pair scoring with m/u probabilities estimated by EM.

EM runs on the distinct agreement *patterns* with their counts (a few hundred rows however many
pairs there are), so it costs nothing. u starts from randomly drawn pairs (what agreement looks like
by chance), m from a prior that agreement is likely for true matches; both are then re-estimated on
the candidate pairs together with the match prior λ.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from agensium.engine.master.er.compare import LEVEL_LABELS, LEVELS
from agensium.engine.master.er.config import FieldSpec

EPS = 1e-4
U_PSEUDO_PAIRS = 2000.0
"""Weight of the default u-probabilities against randomly drawn pairs."""
MIN_PAIRS_FOR_EM = 50


@dataclass
class FSModel:
    fields: list[str]
    m: list[np.ndarray]
    u: list[np.ndarray]
    weights: list[float]
    prior: float
    iterations: int = 0
    converged: bool = False
    notes: list[str] = field(default_factory=list)

    def log2_bf(self, k: int) -> np.ndarray:
        return np.log2(self.m[k] / self.u[k]) * self.weights[k]

    def describe(self, comparators: dict[str, str]) -> list[dict]:
        rows = []
        for k, f in enumerate(self.fields):
            labels = LEVEL_LABELS[comparators[f]]
            for lvl, (mv, uv) in enumerate(zip(self.m[k], self.u[k], strict=True)):
                rows.append({"field": f, "level": labels[lvl], "m": round(float(mv), 4), "u": round(float(uv), 6),
                             "match_weight": round(float(self.log2_bf(k)[lvl]), 3)})
        return rows


def _patterns(levels: pl.DataFrame, cols: list[str]) -> tuple[np.ndarray, np.ndarray]:
    pat = levels.group_by(cols).agg(pl.len().alias("__count"))
    return pat.select(cols).to_numpy().astype(np.int16), pat["__count"].to_numpy().astype(np.float64)


def _level_dist(X: np.ndarray, w: np.ndarray, k: int, n: int) -> np.ndarray:
    col = X[:, k]
    ok = col >= 0
    d = np.bincount(col[ok], weights=w[ok], minlength=n)[:n] + EPS
    return d / d.sum()


def _log_lik(X: np.ndarray, probs: list[np.ndarray]) -> np.ndarray:
    out = np.zeros(X.shape[0])
    for k, p in enumerate(probs):
        col = X[:, k]
        ok = col >= 0
        out[ok] += np.log(p[col[ok]])
    return out


def fit(levels: pl.DataFrame, random_levels: pl.DataFrame | None, fields: list[FieldSpec],
        iterations: int = 40) -> FSModel:
    cols = [f.column for f in fields]
    sizes = [LEVELS[f.comparator] for f in fields]
    weights = [f.weight for f in fields]
    m0 = []
    for n in sizes:
        p = np.array([0.85] + [0.1 / max(1, n - 2)] * (n - 2) + [0.05]) if n > 2 else np.array([0.95, 0.05])
        m0.append(p / p.sum())
    default_u = [np.array([0.01] + [0.04 / max(1, n - 2)] * (n - 2) + [0.95]) if n > 2 else np.array([0.02, 0.98])
                 for n in sizes]
    default_u = [p / p.sum() for p in default_u]
    u0 = default_u
    if random_levels is not None and random_levels.height:
        # random pairs say what chance agreement looks like; pseudo-counts keep tiny tables (where every
        # random pair may be a duplicate) from concluding that agreement is meaningless
        Xr, cr = _patterns(random_levels, cols)
        u0 = []
        for k, n in enumerate(sizes):
            col = Xr[:, k]
            ok = col >= 0
            counts = np.bincount(col[ok], weights=cr[ok], minlength=n)[:n]
            u = counts + U_PSEUDO_PAIRS * default_u[k]
            u0.append(u / u.sum())
    model = FSModel(fields=cols, m=m0, u=u0, weights=weights, prior=0.2)
    if levels.height < MIN_PAIRS_FOR_EM:
        model.notes.append(f"only {levels.height} candidate pairs: prior m/u parameters used, no EM")
        return model
    X, c = _patterns(levels, cols)
    m, u, lam = [p.copy() for p in m0], [p.copy() for p in u0], 0.2
    prev = None
    for it in range(iterations):
        logit = np.log(lam / (1 - lam)) + _log_lik(X, m) - _log_lik(X, u)
        post = 1.0 / (1.0 + np.exp(-np.clip(logit, -50, 50)))
        wm, wu = c * post, c * (1 - post)
        lam = float(np.clip(wm.sum() / c.sum(), 1e-4, 1 - 1e-4))
        m = [_level_dist(X, wm, k, n) for k, n in enumerate(sizes)]
        u = [_level_dist(X, wu, k, n) for k, n in enumerate(sizes)]
        model.iterations = it + 1
        if prev is not None and abs(prev - lam) < 1e-6:
            model.converged = True
            break
        prev = lam
    for k in range(len(cols)):
        # exact agreement must be evidence *for* a match; if EM says otherwise keep the priors for this field
        if m[k][0] < u[k][0] or m[k][-1] > u[k][-1]:
            model.notes.append(f"EM estimate for {cols[k]} was implausible; prior kept")
            m[k], u[k] = m0[k], u0[k]
    model.m, model.u, model.prior = m, u, lam
    return model


def score(levels: pl.DataFrame, model: FSModel) -> pl.DataFrame:
    """Add `match_weight` (log2 Bayes factor) and `match_probability` to every pair (numpy look-ups)."""
    weight = np.zeros(levels.height)
    for k, f in enumerate(model.fields):
        table = np.concatenate([[0.0], model.log2_bf(k)])  # level -1 (missing) is neutral
        weight += table[levels[f].to_numpy().astype(np.int64) + 1]
    prior = float(np.log2(model.prior / (1 - model.prior)))
    prob = 1.0 / (1.0 + np.exp2(-(weight + prior)))
    return levels.with_columns(pl.Series("match_weight", weight), pl.Series("match_probability", prob))
