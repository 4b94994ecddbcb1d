"""Noisy additive relations: a column that is, up to a little noise, a curve in one or two others.

A premium of ``400 + value / 100`` plus a surcharge for drivers under 30,
rounded to 5; a worst-case measurement tracking the mean one; a fee that steps
up past a threshold. These are neither products (:mod:`.products`: a power law
in logs) nor exact (no rule states them), and a generator trained for a few
hundred steps spreads such a column far more widely around its relation than
the real rows do: on the claims table of ``benchmarks/realism.py`` a detector
given premium, vehicle value and driver age told synthetic rows from fresh real
ones with an AUC of 0.85; recomputing premium from the other two as below
brought it to 0.71.

:func:`find_additive` looks, by least squares on the training rows, for a
continuous column that a sum of piecewise-linear functions of one or two other
columns explains with ``R^2`` of at least :data:`~.products.MIN_R2`. Each
function is a line with bends at the factor's quintiles (hinge functions
``max(0, x - knot)``), so a threshold, a cap or a gentle curve fits as well as
a straight line. The relation is then kept as a product is: each synthetic
target is recomputed from its generated factors plus the residual that the
generator's own residual maps to under its class's real residuals
(:class:`~ganaug.sampling.relations.RelationMatcher`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .products import _PAIR_GAIN, MIN_DISTINCT, MIN_R2, MIN_ROWS, DifferenceResidual, take_unchained

__all__ = ["Additive", "find_additive"]

# Bends per factor at most, at its quantiles (deciles): a threshold anywhere in
# the bulk of a factor then lies within a tenth of its rows of a bend. (At the
# quintiles, a surcharge below age 30 left synthetic premiums twice as far from
# the relation as at the deciles.)
N_KNOTS = 8
# Rows a relation needs per coefficient it fits, so that R^2 is not overfit:
# fewer rows get fewer bends.
ROWS_PER_COEF = 10
# Rows the search reads at most (evenly spaced): the chosen relation is refitted
# on every row.
_SEARCH_ROWS = 5000
# Single factors per target whose pairs are tried.
_PAIR_CANDIDATES = 4
# Pairs are tried only for a target that its best single factor explains this
# much of: in ``t = f(a) + g(b) + noise`` with ``R^2 >= MIN_R2`` and independent
# factors, the larger of the two explains about half. Most columns of a wide
# table are explained by nothing, and this keeps their search to one pass.
_PAIR_SCREEN = 0.25


@dataclass(frozen=True)
class Additive(DifferenceResidual):
    """``values[:, target] = coef[0] + sum of hinge functions of values[:, factors]`` + noise.

    Each factor contributes ``c0 * x + sum(c_k * max(0, x - knot_k))`` over its
    ``knots``; ``coef`` holds the intercept, then each factor's coefficients in
    turn. ``target`` and ``factors`` index the continuous columns.
    """

    target: int
    factors: tuple[int, ...]
    knots: tuple[tuple[float, ...], ...]
    coef: tuple[float, ...]

    def predicted(self, values: np.ndarray) -> np.ndarray:
        """The relation's target per row; NaN where a factor is missing."""
        parts = [_hinges(values[:, f], k) for f, k in zip(self.factors, self.knots)]
        design = np.column_stack([np.ones(len(values)), *parts])
        return design @ np.asarray(self.coef)

    def to_config(self) -> dict:
        return {
            "kind": "additive",
            "target": self.target,
            "factors": list(self.factors),
            "knots": [list(k) for k in self.knots],
            "coef": list(self.coef),
        }

    @classmethod
    def from_config(cls, config: dict) -> Additive:
        knots = tuple(tuple(float(v) for v in k) for k in config["knots"])
        factors = tuple(int(f) for f in config["factors"])
        return cls(int(config["target"]), factors, knots, tuple(float(c) for c in config["coef"]))


def _hinges(x: np.ndarray, knots: Sequence[float]) -> np.ndarray:
    """``x`` and ``max(0, x - knot)`` per knot, shape ``(n, 1 + len(knots))``."""
    return np.column_stack([x, *[np.maximum(0.0, x - k) for k in knots]])


def _n_knots(n_rows: int, n_factors: int) -> int:
    """Bends per factor that ``n_rows`` rows afford (``ROWS_PER_COEF`` per coefficient)."""
    return int(np.clip(n_rows // (ROWS_PER_COEF * n_factors) - 2, 0, N_KNOTS))


def _knots(x: np.ndarray, n_knots: int) -> tuple[float, ...]:
    """Distinct inner quantiles of ``x``, each below its largest value (a bend must bend)."""
    x = x[~np.isnan(x)]
    levels = np.quantile(x, np.linspace(0, 1, n_knots + 2)[1:-1])
    return tuple(float(k) for k in np.unique(levels) if x.min() <= k < x.max())


def _unexplained(design: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Per column of ``targets`` (centred), its variance share a least-squares fit leaves."""
    # the fit is the projection onto the design's column space: an orthonormal
    # basis of it (the left singular vectors of non-negligible singular values,
    # so a bend that duplicates another column adds nothing) serves every target
    # at once, where a least-squares solve per design was most of a wide search
    u, singular, _ = np.linalg.svd(design - design.mean(axis=0), full_matrices=False)
    basis = u[:, singular > singular[0] * 1e-10] if singular[0] > 0 else u[:, :0]
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 - ((basis.T @ targets) ** 2).sum(axis=0) / (targets**2).sum(axis=0)


def _fit(values: np.ndarray, target: int, factors: Sequence[int]) -> Additive | None:
    """The relation refitted on every row where its columns are present; None if it fails."""
    x = values[:, [target, *factors]]
    x = x[~np.isnan(x).any(axis=1)]
    if len(x) < MIN_ROWS or len(np.unique(x[:, 0])) < MIN_DISTINCT:
        return None
    n_knots = _n_knots(len(x), len(factors))
    knots = tuple(_knots(x[:, i + 1], n_knots) for i in range(len(factors)))
    parts = [_hinges(x[:, i + 1], k) for i, k in enumerate(knots)]
    design = np.column_stack([np.ones(len(x)), *parts])
    coef, *_ = np.linalg.lstsq(design, x[:, 0], rcond=None)
    left = np.var(x[:, 0] - design @ coef) / np.var(x[:, 0])
    if not left <= 1 - MIN_R2:
        return None
    return Additive(int(target), tuple(int(f) for f in factors), knots, tuple(map(float, coef)))


def _search(values: np.ndarray, targets: np.ndarray, factors: np.ndarray) -> list[tuple]:
    """``(unexplained share, target, factors)`` of each target's best one or two factors.

    On at most ``_SEARCH_ROWS`` rows with missing values set to the column's
    median (the chosen relation is refitted without them).
    """
    rows = np.unique(np.linspace(0, len(values) - 1, min(len(values), _SEARCH_ROWS)).astype(int))
    filled = values[rows]
    # an all-missing column stays NaN (no relation), without numpy's all-NaN warning
    present = ~np.isnan(filled).all(axis=0)
    medians = np.full(filled.shape[1], np.nan)
    medians[present] = np.nanmedian(filled[:, present], axis=0)
    filled = np.where(np.isnan(filled), medians, filled)
    n_knots = _n_knots(len(rows), 2)  # pairs are compared with single factors alike
    basis = {int(a): _hinges(filled[:, a], _knots(filled[:, a], n_knots)) for a in factors}
    centred = filled[:, targets] - filled[:, targets].mean(axis=0)
    single = np.column_stack([_unexplained(basis[int(a)], centred) for a in factors])
    single[targets[:, None] == factors[None, :]] = np.nan  # [target, factor]
    best = []
    for i, t in enumerate(targets):
        if np.all(np.isnan(single[i])):
            continue
        order = np.argsort(np.nan_to_num(single[i], nan=np.inf))[:_PAIR_CANDIDATES]
        left, chosen = float(single[i, order[0]]), (int(factors[order[0]]),)
        if not left <= 1 - _PAIR_SCREEN:
            continue  # nothing explains this column: no pair of curves will
        for p, a in enumerate(order):
            for b in order[p + 1 :]:
                if np.isnan(single[i, b]):
                    continue
                design = np.column_stack([basis[int(factors[a])], basis[int(factors[b])]])
                pair_left = float(_unexplained(design, centred[:, [i]])[0])
                if pair_left < _PAIR_GAIN * left:
                    left, chosen = pair_left, (int(factors[a]), int(factors[b]))
        if left <= 1 - MIN_R2:
            best.append((round(left, 9), int(t), chosen))
    return best


def find_additive(values: np.ndarray, targets: np.ndarray, factors: np.ndarray) -> list[Additive]:
    """The noisy additive relations of ``targets`` in one or two of ``factors``.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_columns)
        Real continuous values, NaN where missing.
    targets, factors : ndarray of bool of shape (n_columns,)
        Columns that may be recomputed, and columns that may explain them.

    Returns
    -------
    list of Additive
        At most one per target, the best explained first taken. No target is
        a factor of another relation, so the targets can be recomputed in any
        order.
    """
    usable = []
    for j in range(values.shape[1]):
        x = values[:, j][np.isfinite(values[:, j])]
        if len(x) >= MIN_ROWS and x.max() > x.min():
            usable.append(j)
    t_cols = np.array([j for j in usable if targets[j]], dtype=np.int64)
    f_cols = np.array([j for j in usable if factors[j]], dtype=np.int64)
    if len(t_cols) == 0 or len(f_cols) == 0:
        return []
    candidates = ((t, fs) for _, t, fs in sorted(_search(values, t_cols, f_cols)))
    return take_unchained(candidates, lambda t, fs: _fit(values, t, fs))
