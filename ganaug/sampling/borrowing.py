"""Borrowed strength: a class's marginal mixed with the other classes' where they agree.

A class of twenty training rows shows a column's distribution through twenty
values: their gaps and clumps are noise, and synthetic rows that follow them
closely are told from fresh rows of the class by that column alone. Where the
column is distributed in the class much as in the other classes, the others'
hundreds of rows estimate the class's distribution better than its own twenty;
where it is not (a wage that is 0 for every woman out of work), they must not be
used at all.

The estimate is the mixture ``w F_own + (1 - w) F_other`` of the two empirical
distribution functions, with the weight that minimises its expected squared
error (a James-Stein style plug-in rule). The class's own function has variance
``v_own = E[F (1 - F)] / n_own``, the others' ``v_other`` likewise, and is off
by a bias ``b^2 = E[(F_own - F_other)^2]`` that the squared distance between the
two observed functions overestimates by ``v_own + v_other``. The error is least
at ``w = (b^2 + v_other) / (b^2 + v_other + v_own)``: near 1 for a large class
or a column that tells the classes apart, near ``n_own / (n_own + n_other)``
for a small class whose column does not differ from the others' beyond chance.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "MIN_BORROWED",
    "ColumnDistributions",
    "borrowing_weight",
    "mixture_quantiles",
    "quantiles_from_distribution",
]

# Below this share of borrowed mass the mixture is not worth its cost: a few
# values from outside the class's support (an hours-worked of 2,000 for a woman
# who does not work) would break the class's own rules for nothing.
MIN_BORROWED = 0.05
# The distribution functions are compared at this many of the column's order
# statistics (all values where there are fewer): a sample of the pooled rows'
# measure, which bounds the cost on large tables.
_POINTS = 512


class ColumnDistributions:
    """Every class's empirical distribution function of one column, at shared points.

    Parameters
    ----------
    values : ndarray of shape (n,)
        The column's real values, NaN where missing (left out).
    y : ndarray of shape (n,)
        Their class indices.
    n_classes : int
    """

    def __init__(self, values: np.ndarray, y: np.ndarray, n_classes: int) -> None:
        present = ~np.isnan(values)
        values, y = values[present], np.asarray(y)[present]
        ranked = np.sort(values)
        if len(ranked) > _POINTS:
            ranked = ranked[np.linspace(0, len(ranked) - 1, _POINTS).round().astype(np.int64)]
        # rows of each class at or below each point: (n_classes, n_points)
        self.counts = np.stack(
            [
                np.searchsorted(np.sort(values[y == c]), ranked, side="right")
                for c in range(n_classes)
            ]
        ).astype(np.float64)
        self.sizes = np.bincount(y, minlength=n_classes).astype(np.float64)

    def weight(self, k: int, source: np.ndarray) -> float:
        """The weight of class ``k``'s own values when it borrows from the classes ``source``.

        In ``[0, 1]``: 1 keeps the class's own distribution (and is returned
        where less than ``MIN_BORROWED`` would be borrowed, or a side is empty).
        """
        n_own, n_other = self.sizes[k], self.sizes[source].sum()
        if n_own == 0 or n_other == 0:
            return 1.0
        own, other = self.counts[k], self.counts[source].sum(axis=0)
        pooled = (own + other) / (n_own + n_other)
        # each estimate's variance, and the squared bias the observed distance leaves
        spread = float(np.mean(pooled * (1.0 - pooled)))
        v_own, v_other = spread / n_own, spread / n_other
        bias = max(0.0, float(np.mean((own / n_own - other / n_other) ** 2)) - v_own - v_other)
        total = bias + v_other + v_own
        weight = 1.0 if total <= 0 else (bias + v_other) / total
        return 1.0 if weight > 1.0 - MIN_BORROWED else weight

    def best_source(self, k: int, min_rows: int = 1) -> tuple[float, np.ndarray]:
        """The classes to borrow from, and class ``k``'s own weight in the mixture.

        With several other classes, one of them may be distributed as the class
        is and the rest not (a penguin species whose bills are as deep as one
        other species's and deeper than a third's): borrowing from all of them
        together would bring the third's values in. Each candidate (every other
        class with at least ``min_rows`` values, and all of them together) gets
        its weight; the expected error of the mixture is ``v_own * w``, so the
        candidate with the least weight is the best one.

        Returns
        -------
        weight : float
            As :meth:`weight`; 1 where nothing is borrowed.
        source : ndarray of int
            The classes borrowed from; empty where nothing is.
        """
        others = np.flatnonzero((np.arange(len(self.sizes)) != k) & (self.sizes > 0))
        candidates = [others]
        if len(others) > 1:
            candidates += [
                others[[i]] for i in range(len(others)) if self.sizes[others[i]] >= min_rows
            ]
        weights = [self.weight(k, c) for c in candidates]
        best = int(np.argmin(weights))
        if weights[best] >= 1.0:
            return 1.0, others[:0]
        return weights[best], candidates[best]


def borrowing_weight(own: np.ndarray, other: np.ndarray) -> float:
    """The weight of a class's own values when it borrows from one other set of values.

    Parameters
    ----------
    own, other : ndarray
        The class's and the other classes' NaN-free values of one column.

    Returns
    -------
    float
        As :meth:`ColumnDistributions.weight`.
    """
    values = np.concatenate([own, other]).astype(np.float64)
    y = np.r_[np.zeros(len(own), dtype=np.int64), np.ones(len(other), dtype=np.int64)]
    return ColumnDistributions(values, y, 2).weight(0, np.array([1]))


def mixture_quantiles(
    own: np.ndarray, other: np.ndarray, weight: float, levels: np.ndarray
) -> np.ndarray:
    """Quantiles at ``levels`` of ``weight * F_own + (1 - weight) * F_other``, within
    the range of the first.

    The mixture is truncated to ``[own.min(), own.max()]``: a class's values
    stay in the range its rows show, as they do unborrowed. Beyond it lie the
    values that rules found on all rows tie to what the class never has (a
    bill depth at or below 15.8 mm implies the island of a species that only
    another class lives on), and a synthetic row there would be repaired into
    an impossible one.

    Parameters
    ----------
    own, other : ndarray of shape (n_levels,)
        The two distributions' quantiles at ``levels`` (increasing from 0 to 1),
        piecewise linear between them; a value repeated over several levels is a
        point mass, and stays one, at its mixed rate.
    weight : float
        The share of the first distribution.
    levels : ndarray of shape (n_levels,)

    Returns
    -------
    ndarray of shape (n_levels,)
        Nondecreasing, from ``own``'s minimum to its maximum.
    """
    # both distribution functions are linear between their knots, so the
    # mixture is linear between the union of the knots: exact there
    grid = np.union1d(own, other)
    grid = grid[(grid >= own[0]) & (grid <= own[-1])]
    below = weight * _limits(own, levels, grid, "left")
    below += (1.0 - weight) * _limits(other, levels, grid, "left")
    at_or_below = weight * _limits(own, levels, grid, "right")
    at_or_below += (1.0 - weight) * _limits(other, levels, grid, "right")
    # what lies outside the range is left out, and the rest scaled to a whole
    start, mass = below[0], at_or_below[-1] - below[0]
    if not mass > 0:
        return own.copy()
    return quantiles_from_distribution(
        grid, (below - start) / mass, (at_or_below - start) / mass, levels
    )


def _limits(quantiles: np.ndarray, levels: np.ndarray, x: np.ndarray, side: str) -> np.ndarray:
    """P(X < x) (``side="left"``) or P(X <= x) (``"right"``) of the piecewise-linear
    quantile function through ``(levels, quantiles)``, ``levels`` evenly spaced.

    A value held at several levels is a point mass that reaches half a level
    beyond the first and the last of them: the levels sample its mass, and
    between them and their neighbours lies half a level's worth on each side.
    """
    last = len(quantiles) - 1
    i = np.searchsorted(quantiles, x, side=side)
    lo, hi = np.clip(i - 1, 0, last), np.clip(i, 0, last)
    gap = quantiles[hi] - quantiles[lo]
    frac = np.clip((x - quantiles[lo]) / np.where(gap > 0, gap, 1.0), 0.0, 1.0)
    inside = levels[lo] + np.where(gap > 0, frac, 0.0) * (levels[hi] - levels[lo])
    out = np.where(i == 0, 0.0, np.where(i > last, 1.0, inside))
    held = np.searchsorted(quantiles, x, "right") - np.searchsorted(quantiles, x, "left")
    half = 0.5 * (levels[-1] - levels[0]) / last
    if side == "left":
        return np.where(held >= 2, np.maximum(out - half, 0.0), out)
    return np.where(held >= 2, np.minimum(out + half, 1.0), out)


def quantiles_from_distribution(
    grid: np.ndarray, below: np.ndarray, at_or_below: np.ndarray, levels: np.ndarray
) -> np.ndarray:
    """Quantiles at ``levels`` of a distribution given at increasing ``grid`` points.

    ``below`` is P(X < x) and ``at_or_below`` P(X <= x) at each point (they differ
    at a point mass); the distribution function is linear between the points.
    """
    # each grid point twice: P(X < x) then P(X <= x), so a point mass is a jump
    xs, cs = np.repeat(grid, 2), np.ravel(np.column_stack([below, at_or_below]))
    i = np.clip(np.searchsorted(cs, levels, side="left"), 1, len(cs) - 1)
    step = cs[i] - cs[i - 1]
    frac = np.where(step > 0, (levels - cs[i - 1]) / np.where(step > 0, step, 1.0), 1.0)
    return xs[i - 1] + np.clip(frac, 0.0, 1.0) * (xs[i] - xs[i - 1])
