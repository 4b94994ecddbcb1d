"""Parts of a whole: columns whose sum is (nearly) the same in every row.

Glass fragments are described by the weight percentages of eight oxides, which
add up to between 99.02 and 100.10 in every one of the 214 rows of the forensic
glass table (MASS ``fgl``, the UCI and KEEL glass set); shares of a budget add
up to 100%, hours of a day to 24. A generator that gets each column's
distribution right leaves the sum loose: on that table 57-69% of the synthetic
rows summed to a total outside the real rows' range (95.6 to 103.7), where
SMOTE, which interpolates between real rows, keeps every linear equality and
broke none (``benchmarks/real_tables.py``, seeds 0-2).

:func:`find_totals` looks for such a group among the nonnegative continuous
columns: a group of three or more whose row sums vary by at most a
:data:`MAX_VARIANCE_RATIO` of what the parts' own variances add up to (for
independent parts the ratio is 1). :class:`Total` keeps it: each synthetic
row's total is mapped, per class, onto the real rows' totals (as any
relation's residual, :class:`~ganaug.sampling.relations.RelationMatcher`), and
the difference to the row's own sum is shared among its parts in proportion to
their variances within the classes, so that a part that varies little (iron,
0.1% at most) moves little. (Weighted by the variances over all rows, a part
whose level tells the classes apart moved too much: glass's balanced accuracy
0.643, against 0.658 without totals and 0.670 with the weights within
classes.) A part at its lowest value (most often a structural zero: no
barium) stays there, and every part stays within its training range.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .products import MIN_DISTINCT, MIN_ROWS

__all__ = ["MAX_VARIANCE_RATIO", "Total", "find_totals"]

# A group's sums may vary by this share of the variance its parts would give
# if they were independent. The oxides of the glass table reach 0.003; three
# columns independent of each other sit near 1, and a share of 1% needs the
# parts to be tied together far beyond what chance gives in 20 rows.
MAX_VARIANCE_RATIO = 0.01
# Parts a group needs: two columns with a constant sum are an exact (or noisy)
# monotone function of each other, which :mod:`.monotone` and :mod:`.additive` keep.
MIN_PARTS = 3
# Passes of sharing what clipping to the parts' ranges left of a row's gap.
_PASSES = 4
# Quantiles of the training totals a Total keeps, for classes too small to map their own.
_TOTAL_LEVELS = 21
# Columns the backward search starts from at most (the most varied first): its
# covariance matrix grows with the square of this.
_MAX_CANDIDATES = 200


@dataclass(frozen=True)
class Total:
    """``values[:, parts]`` add up to a total drawn from the real rows' totals.

    ``weights`` (the parts' variances in the training rows, within the classes
    once :meth:`within_classes` has set them) say how the
    difference between the drawn total and a row's sum is shared;
    ``lowest`` and ``highest`` are each part's training range, ``totals``
    the training rows' totals at evenly spaced quantiles, from least to most.
    """

    parts: tuple[int, ...]
    weights: tuple[float, ...]
    lowest: tuple[float, ...]
    highest: tuple[float, ...]
    totals: tuple[float, ...]

    @property
    def target(self) -> int:
        # the part that RelationMatcher reads as the relation's own: no other relation
        # may use any part (see find_relations), so which one it is does not matter
        return self.parts[0]

    @property
    def factors(self) -> tuple[int, ...]:
        return self.parts[1:]

    @property
    def range(self) -> tuple[float, float]:
        """The least and the greatest training total."""
        return self.totals[0], self.totals[-1]

    def residual(self, values: np.ndarray) -> np.ndarray:
        """Each row's total; NaN where a part is missing."""
        return values[:, list(self.parts)].sum(axis=1)

    def rebalance(
        self, values: np.ndarray, total: np.ndarray, rows: np.ndarray, draws: np.ndarray
    ) -> None:
        """Move the parts of ``rows`` (a boolean mask) in place towards ``total``.

        The difference is shared by the parts above their lowest value, in
        proportion to ``weights``; parts are then clipped to their range, and
        what clipping left of the difference is shared again among the parts
        that still have room (a few passes), so a row whose parts cannot reach
        the total gets as near as they allow.
        Where ``total`` is NaN (a class too small to map its totals), the
        total is drawn from all training rows' totals with ``draws`` (uniform
        in [0, 1], one per row); every total is kept within their range.
        """
        parts = list(self.parts)
        x = values[np.ix_(rows, parts)]
        low, high = np.asarray(self.lowest), np.asarray(self.highest)
        pooled = np.interp(draws[rows], np.linspace(0, 1, len(self.totals)), self.totals)
        wanted = np.clip(np.where(np.isnan(total[rows]), pooled, total[rows]), *self.range)
        free = x > low  # a part at its lowest value (no barium) stays there
        for _ in range(_PASSES):
            gap = wanted - x.sum(axis=1)
            # a part clipped at a bound takes no more of the gap that pushed it there
            room = free & np.where(gap[:, None] < 0, x > low, x < high)
            weights = np.where(room, np.asarray(self.weights), 0.0)
            share = weights.sum(axis=1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                step = np.where(share > 0, gap[:, None] * weights / share, 0.0)
            x = np.clip(x + step, low, high)
        values[np.ix_(rows, parts)] = x

    def within_classes(self, values: np.ndarray, y: np.ndarray) -> Total:
        """The same group weighted by its parts' variances within the classes.

        Pooled over classes, a part whose level tells the classes apart (no
        magnesium in one kind of glass, 3.5% in another) looks as variable as
        it is between them, and would take much of every gap in a class where
        it barely varies.
        """
        x = values[:, list(self.parts)]
        rows = np.isfinite(x).all(axis=1)
        x, y = x[rows], np.asarray(y)[rows]
        centred = x.copy()
        for k in np.unique(y):
            centred[y == k] -= x[y == k].mean(axis=0)
        weights = tuple(float(v) for v in np.mean(centred**2, axis=0))
        return replace(self, weights=weights) if sum(weights) > 0 else self

    def to_config(self) -> dict:
        return {
            "kind": "total",
            "parts": list(self.parts),
            "weights": list(self.weights),
            "lowest": list(self.lowest),
            "highest": list(self.highest),
            "totals": list(self.totals),
        }

    @classmethod
    def from_config(cls, config: dict) -> Total:
        return cls(
            tuple(int(j) for j in config["parts"]),
            tuple(float(w) for w in config["weights"]),
            tuple(float(v) for v in config["lowest"]),
            tuple(float(v) for v in config["highest"]),
            tuple(float(v) for v in config["totals"]),
        )


def _best_group(x: np.ndarray, columns: list[int]) -> tuple[float, list[int]]:
    """Backward search: drop, one at a time, the column whose removal leaves the
    steadiest sum, until the sum is steady enough (the largest such group: a part
    that varies little, as iron in glass, is still a part) or :data:`MIN_PARTS`
    are left; the steadiest group seen when none is steady enough.

    Returns the group's variance ratio (its sum's variance over its parts') and
    its columns.
    """
    cov = np.atleast_2d(np.cov(x[:, columns], rowvar=False, bias=True))
    group = np.ones(len(columns), dtype=bool)
    # the sum's variance, and each column's covariance with the sum
    total_var, with_sum = cov.sum(), cov.sum(axis=1)
    parts_var = np.trace(cov)
    best = (total_var / parts_var, group.copy())
    while best[0] > MAX_VARIANCE_RATIO and group.sum() > MIN_PARTS:
        # removing d: var(sum - x_d) = var(sum) - 2 cov(x_d, sum) + var(x_d)
        ratios = (total_var - 2 * with_sum + np.diag(cov)) / (parts_var - np.diag(cov))
        d = int(np.argmin(np.where(group, ratios, np.inf)))
        total_var, parts_var = total_var - 2 * with_sum[d] + cov[d, d], parts_var - cov[d, d]
        with_sum = with_sum - cov[:, d]
        group[d] = False
        if total_var / parts_var < best[0]:
            best = (total_var / parts_var, group.copy())
    return float(best[0]), [c for c, keep in zip(columns, best[1]) if keep]


def find_totals(values: np.ndarray, allowed: np.ndarray) -> list[Total]:
    """Groups of nonnegative continuous columns whose row sums barely vary.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_columns)
        Real continuous values, NaN where missing.
    allowed : ndarray of bool of shape (n_columns,)
        Columns that may be parts (not used by another relation, not derived by a rule).

    Returns
    -------
    list of Total
        Disjoint groups, searched again among the columns the groups found leave.
    """
    candidates = []
    # a part needs MIN_DISTINCT values, as a product's columns do: numeric 0/1 dummies of
    # one category add up to 1 but are categories, not amounts
    for j in np.flatnonzero(allowed):
        v = values[:, j][np.isfinite(values[:, j])]
        if len(v) >= MIN_ROWS and v.min() >= 0 and len(np.unique(v)) >= MIN_DISTINCT:
            candidates.append(int(j))
    x = values[np.isfinite(values[:, candidates]).all(axis=1)] if candidates else values[:0]
    if len(x) < MIN_ROWS:
        return []
    # the most varied relative to their mean first: a constant-like column adds nothing
    spread = {j: x[:, j].std() / (abs(x[:, j].mean()) + 1e-12) for j in candidates}
    candidates = sorted(candidates, key=lambda j: -spread[j])[:_MAX_CANDIDATES]
    found: list[Total] = []
    while len(candidates) >= MIN_PARTS:
        ratio, group = _best_group(x, candidates)
        if ratio > MAX_VARIANCE_RATIO:
            break
        group = sorted(group)
        sums = x[:, group].sum(axis=1)
        found.append(
            Total(
                tuple(group),
                tuple(float(v) for v in x[:, group].var(axis=0)),
                tuple(float(v) for v in x[:, group].min(axis=0)),
                tuple(float(v) for v in x[:, group].max(axis=0)),
                tuple(float(v) for v in np.quantile(sums, np.linspace(0, 1, _TOTAL_LEVELS))),
            )
        )
        candidates = [c for c in candidates if c not in group]
    return found
