"""Dependence matching: give each class's synthetic continuous columns its real rank correlations.

On the small tables of ``benchmarks/real_tables.py`` the generator, after its
default 600 steps, learns the columns one by one far better than how they move
together. On the married women's labour supply table (AER ``PSID1976``) the
rank correlation of the wife's and the husband's ages is 0.89 in real rows of
both classes and 0.29-0.37 in the generator's; a detector given those two
columns alone tells the rows apart (AUC 0.75), though each column's values are
as good as the class's twenty training rows allow. Training four times as long
brought the correlations up to about 0.6, at four times the fit time.

:class:`DependenceMatcher` corrects the generator's raw continuous output
before the per-column maps: per class, each value is turned into a normal score
by the generator's own distribution of that column in the class (estimated on
a reference sample), the scores are recoloured by the linear map that takes the
generator's correlation matrix to the real one (a Gaussian copula), and each
score is turned back into a value by the same distribution. The generator's
marginals are kept (the quantile maps after it still see what they were fitted
on), and only how the columns move together changes.

A class of twenty rows estimates a correlation matrix poorly (a correlation's
standard error is about ``(1 - r^2) / sqrt(n)``, 0.2 at twenty rows), so its own
matrix is mixed with the within-class matrix of the other classes, with the
weight that minimises the expected squared error, as
:mod:`ganaug.sampling.borrowing` mixes a column's distributions: the own matrix
varies by ``v_own``, the others' by ``v_other``, and the two differ by a bias
``b^2`` that their mean squared difference overestimates by ``v_own + v_other``.
The own weight ``(b^2 + v_other) / (b^2 + v_other + v_own)`` is near 1 for a
large class or a class whose columns move together unlike the others', and near
0 for a small class whose correlations differ from the others' only by chance
(two ages that move together in every class). On Pima diabetes, the thinned
class's twenty rows show glucose and blood pressure at -0.40, its held-out rows
at 0.13, the other class at 0.33.

The estimate so made still carries its sampling noise, and a generator whose
correlations already lie within that noise of it (Pima's small correlations,
twenty rows) is as likely right: the generator's matrix is moved toward the
estimate only by the share of their mean squared difference that the noise does
not explain (:func:`generator_weight`; psid's ages: 0.84-0.90 of the way, Pima's
thinned class: 0.40-0.59). Without that step, Pima's and birthwt's detection AUC
rose 0.724 to 0.755 and 0.696 to 0.720 (``benchmarks/real_tables.py``, 5 seeds);
with it, 0.719 and 0.692.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

__all__ = ["DependenceMatcher", "class_target", "generator_weight", "own_weight"]

# Quantiles per column and class kept of the generator's reference sample.
_LEVELS = 257
# Fewest rows with both values for a pair's correlation to be read (else 0).
_MIN_PAIR_ROWS = 5
# Smallest eigenvalue kept when taking square roots: a correlation matrix of
# more columns than rows is singular, and its inverse root would blow up.
_MIN_EIGENVALUE = 1e-3


def _normal_scores(values: np.ndarray) -> np.ndarray:
    """Per column, the normal quantile of each value's mid-rank; NaN stays NaN."""
    ranks = pd.DataFrame(values).rank(method="average").to_numpy()
    counts = np.isfinite(values).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return ndtri(ranks / (counts + 1))


def _correlation(scores: np.ndarray) -> np.ndarray:
    """Pairwise-complete correlations; a pair with too few rows or no spread reads 0."""
    m = scores.shape[1]
    if len(scores) >= _MIN_PAIR_ROWS and np.isfinite(scores).all():
        # one matrix product: pandas' pairwise-complete loop takes seconds on wide tables
        with np.errstate(invalid="ignore", divide="ignore"):
            c = np.corrcoef(scores, rowvar=False).reshape(m, m)
    elif len(scores):
        c = pd.DataFrame(scores).corr(min_periods=_MIN_PAIR_ROWS).to_numpy()
    else:
        c = np.zeros((m, m))
    c = np.where(np.isfinite(c), c, 0.0)
    np.fill_diagonal(c, 1.0)
    return c


def own_weight(own: np.ndarray, n_own: float, other: np.ndarray, n_other: float) -> float:
    """The weight of a class's own correlation matrix against the other classes' one.

    ``own`` and ``other`` are correlation matrices from ``n_own`` and ``n_other``
    rows; the weight minimises the expected squared error of the mixture over
    the pairs of columns (see the module docstring). A class with no rows gets 0.
    """
    if n_own < 2:
        return 0.0
    pairs = ~np.eye(len(own), dtype=bool)
    if not pairs.any():
        return 1.0
    spread = _spread(other)
    v_own, v_other = spread / n_own, spread / max(n_other, 1.0)
    bias = max(float(np.mean((own[pairs] - other[pairs]) ** 2)) - v_own - v_other, 0.0)
    return (bias + v_other) / (bias + v_other + v_own)


def _spread(matrix: np.ndarray) -> float:
    """Mean ``(1 - r^2)^2`` over the pairs: a correlation's sampling variance times its rows."""
    pairs = ~np.eye(len(matrix), dtype=bool)
    return float(np.mean((1.0 - matrix[pairs] ** 2) ** 2)) if pairs.any() else 0.0


def class_target(
    own: np.ndarray, n_own: float, other: np.ndarray | None, n_other: float
) -> tuple[np.ndarray, float]:
    """A class's estimated real correlation matrix and the variance of its entries.

    The own matrix mixed with the others' (:func:`own_weight`); without other
    classes, the own matrix alone. The variance is the mixture's sampling
    variance per pair of columns, ``w^2 v_own + (1 - w)^2 v_other``.
    """
    if other is None or n_other <= 0:
        return own, _spread(own) / max(n_own, 1.0)
    w = own_weight(own, n_own, other, n_other)
    spread = _spread(other)
    variance = spread * (w**2 / max(n_own, 1.0) + (1.0 - w) ** 2 / n_other)
    return w * own + (1.0 - w) * other, variance


def generator_weight(target: np.ndarray, variance: float, generated: np.ndarray) -> float:
    """How far to move the generator's correlations toward the estimated real ones.

    ``target`` is an estimate with sampling variance ``variance`` per pair; a
    generator whose correlations lie within that noise of it is as likely
    right as the estimate, and is moved only by the part of the mean squared
    difference that the noise does not explain (a positive-part James-Stein
    step toward the generator's matrix).
    """
    pairs = ~np.eye(len(target), dtype=bool)
    if not pairs.any():
        return 0.0
    gap = float(np.mean((target[pairs] - generated[pairs]) ** 2))
    return max(gap - variance, 0.0) / gap if gap > 0 else 0.0


def _root(matrix: np.ndarray, power: float) -> np.ndarray:
    """``matrix ** power`` of a symmetric matrix, eigenvalues floored."""
    w, v = np.linalg.eigh((matrix + matrix.T) / 2)
    return (v * np.clip(w, _MIN_EIGENVALUE, None) ** power) @ v.T


class DependenceMatcher:
    """Recolour each class's synthetic continuous columns onto its real rank correlations.

    Attributes (after :meth:`fit`)
    ------------------------------
    grid_ : ndarray of shape (n_classes, _LEVELS, n_columns)
        Quantiles of the generator's reference sample per class and column.
    mix_ : ndarray of shape (n_classes, n_columns, n_columns)
        Per class, the map of normal scores (row vectors) from the generator's
        correlations to the shrunk real ones.
    """

    def fit(
        self,
        real: np.ndarray,
        real_y: np.ndarray,
        synthetic: np.ndarray,
        synthetic_y: np.ndarray,
        n_classes: int,
    ) -> DependenceMatcher:
        """Estimate the maps from real rows and the generator's reference sample.

        Both hold the continuous columns (NaN where missing); labels are class indices.
        """
        m = real.shape[1]
        levels = np.linspace(0.0, 1.0, _LEVELS)
        self.grid_ = np.zeros((n_classes, _LEVELS, m))
        self.mix_ = np.tile(np.eye(m), (n_classes, 1, 1))
        counts = np.array([(real_y == k).sum() for k in range(n_classes)], dtype=np.float64)
        own = np.array([_correlation(_normal_scores(real[real_y == k])) for k in range(n_classes)])
        for k in range(n_classes):
            syn = synthetic[synthetic_y == k]
            if len(syn) == 0:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all missing: grid stays NaN
                self.grid_[k] = np.nanquantile(syn, levels, axis=0)
            others = np.arange(n_classes) != k
            n_other = counts[others].sum()
            other = None
            if n_other > 0:  # the others' within-class matrix, each class by its rows
                other = sum(n * c for n, c in zip(counts[others], own[others])) / n_other
            target, variance = class_target(own[k], counts[k], other, n_other)
            generated = _correlation(_normal_scores(syn))
            step = generator_weight(target, variance, generated)
            # a convex mix of two correlation matrices is one
            target = generated + step * (target - generated)
            self.mix_[k] = _root(generated, -0.5) @ _root(target, 0.5)
        return self

    @classmethod
    def from_arrays(cls, grid: np.ndarray, mix: np.ndarray) -> DependenceMatcher:
        """A matcher from saved :attr:`grid_` and :attr:`mix_`."""
        matcher = cls()
        matcher.grid_ = np.asarray(grid, dtype=np.float64)
        matcher.mix_ = np.asarray(mix, dtype=np.float64)
        return matcher

    def apply(self, values: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``values`` (raw generator output, classes ``y``) with each class recoloured.

        A missing value stays missing and counts as a score of 0 for the others;
        a column whose grid is all missing is left as it is.
        """
        out = np.array(values, dtype=np.float64, copy=True)
        if out.shape[1] < 2:
            return out
        levels = np.linspace(0.0, 1.0, _LEVELS)
        edge = 0.5 / _LEVELS  # a value at or beyond the grid's ends is not infinitely far
        for k in np.unique(y):
            rows = np.flatnonzero(y == k)
            x = out[rows]
            grid = self.grid_[k]
            usable = np.isfinite(grid).all(axis=0)
            scores = np.zeros_like(x)
            for j in np.flatnonzero(usable):
                u = np.interp(x[:, j], grid[:, j], levels)
                scores[:, j] = ndtri(np.clip(u, edge, 1.0 - edge))
            scores[~np.isfinite(x)] = 0.0
            mixed = ndtr(scores @ self.mix_[k])
            for j in np.flatnonzero(usable):
                keep = np.isfinite(x[:, j])
                x[keep, j] = np.interp(mixed[keep, j], levels, grid[:, j])
            out[rows] = x
        return out
