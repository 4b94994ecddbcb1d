"""Relations between continuous columns that no exact rule states, kept in synthetic rows.

Business tables hold columns that are nearly a product of others: total charges
are about tenure times the monthly charge, a repair cost about a vehicle's value
times a damage ratio, a tumour's area about its radius squared. None of these
holds exactly (prices change, costs vary), so rule discovery does not find
them, and a generator trained for a few hundred steps does not learn them: on
the churn table of ``benchmarks/realism.py`` the real log ratio of total charges
to tenure times monthly charges spreads by 0.05 in a class, the synthetic one by
0.70, and a detector given the three columns reads it.

:func:`find_products` looks among the continuous columns whose values are all
positive for a column whose logarithm is, by least squares on the training
rows, a linear function of the logarithms of one or two others,
``log t = b0 + b1 log a (+ b2 log b) + e``, with ``R^2`` of at least
``MIN_R2`` (a power law: products, ratios, squares).
:class:`~ganaug.sampling.relations.RelationMatcher` then recomputes each such
target in synthetic rows from its factors as they were generated, with the
residual ``e`` that the generator's own residual maps to under the class's
real distribution of residuals (the quantile map of
:class:`~ganaug.sampling.marginals.QuantileMatcher`): each class keeps its real
spread around the relation, and a row keeps its generated place in it.

An order ``a <= b`` between two continuous columns (a discovered or given
rule) is kept the same way, as a :class:`Share`: ``a`` is recomputed as its
class's real share of the room below ``b``. The rule repair would only fix the
rows that break the order, and every other row's ``a`` would stay unrelated to
its ``b``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from .rule_kinds import Derivation, Order, Rule, share_below, value_at_share

__all__ = [
    "MIN_R2",
    "DifferenceResidual",
    "Product",
    "Share",
    "find_products",
    "find_shares",
    "take_unchained",
    "underived",
]

_R = TypeVar("_R")

# Share of a target's log variance that its factors must explain. At 0.96 the
# residual's spread is at most a fifth of the target's: recomputing the target
# then keeps a relation a detector would otherwise read, and a column that is
# merely correlated with others is left to the generator.
MIN_R2 = 0.96
# Rows with the target and its factors all present, for a relation to be found.
MIN_ROWS = 20
# A target takes at least this many distinct values: a few-valued column
# (a deductible of 250, 500 or 1,000) is a category in all but name.
MIN_DISTINCT = 10
# A pair of factors is used over the best single one only when it leaves at
# most this share of the single factor's residual variance.
_PAIR_GAIN = 0.5


class DifferenceResidual:
    """A relation whose residual is ``target - predicted``: subclasses give ``target`` and
    ``predicted(values)`` (the target the factors give each row)."""

    target: int

    def predicted(self, values: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def residual(self, values: np.ndarray) -> np.ndarray:
        """``target - predicted``; NaN where a value is missing."""
        return values[:, self.target] - self.predicted(values)

    def rebuild(self, values: np.ndarray, residual: np.ndarray) -> np.ndarray:
        """The target that ``residual`` gives each row."""
        return self.predicted(values) + residual


@dataclass(frozen=True)
class Product:
    """``log values[:, target] = coef[0] + sum(coef[1:] * log values[:, factors])`` + noise.

    ``target`` and ``factors`` index the continuous columns.
    """

    target: int
    factors: tuple[int, ...]
    coef: tuple[float, ...]

    def predicted_log(self, values: np.ndarray) -> np.ndarray:
        """The relation's log target per row; NaN where a factor is missing or not positive."""
        x = values[:, list(self.factors)]
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.log(np.where(x > 0, x, np.nan))
        return self.coef[0] + logs @ np.asarray(self.coef[1:])

    def residual(self, values: np.ndarray) -> np.ndarray:
        """``log target - predicted_log``; NaN where a value is missing or not positive."""
        t = values[:, self.target]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(np.where(t > 0, t, np.nan)) - self.predicted_log(values)

    def rebuild(self, values: np.ndarray, residual: np.ndarray) -> np.ndarray:
        """The target that ``residual`` gives each row."""
        return np.exp(self.predicted_log(values) + residual)

    def to_config(self) -> dict:
        return {"target": self.target, "factors": list(self.factors), "coef": list(self.coef)}


@dataclass(frozen=True)
class Share:
    """An order ``target <= factor``: ``target = lowest + share * (factor - lowest)``.

    ``lowest`` is the target's smallest training value; the share lies in
    [0, 1] in every training row. Each synthetic row's share is drawn from its
    class's real shares, independently of the generator's: that keeps the order
    and how far below its bound the lower column sits (years in role against
    years at the company), where repairing only the broken rows would leave
    every other row's lower value as the generator drew it, unrelated to the
    upper one. (The generator's own share, mapped by rank, mostly tracks the
    upper column, small for a large one: years in role came out a fifth short.)
    """

    target: int
    factor: int
    lowest: float

    @property
    def factors(self) -> tuple[int, ...]:
        return (self.factor,)

    def residual(self, values: np.ndarray) -> np.ndarray:
        """The share per row; NaN where a value is missing or the factor is not above ``lowest``."""
        return share_below(values[:, self.target], values[:, self.factor], self.lowest)

    def rebuild(self, values: np.ndarray, residual: np.ndarray) -> np.ndarray:
        return value_at_share(residual, values[:, self.factor], self.lowest)

    def to_config(self) -> dict:
        return {
            "kind": "share",
            "target": self.target,
            "factor": self.factor,
            "lowest": self.lowest,
        }


def find_shares(
    values: np.ndarray, names: Sequence[Hashable], rules: Sequence[Rule], taken: Sequence[Any]
) -> list[Share]:
    """A :class:`Share` for each order between two continuous columns that no relation in
    ``taken`` (anything with a ``target`` and ``factors``) uses.

    Orders in a chain (a column below one and above another, or below two)
    are left to the rule repair, as is a column a rule derives.
    """
    orders = [r for r in rules if isinstance(r, Order)]
    busy = {names[c] for p in taken for c in (p.target, *p.factors)}
    busy |= {r.target for r in rules if isinstance(r, Derivation)}
    lowers = [r.lower for r in orders]
    uppers = {r.upper for r in orders}
    index = {name: j for j, name in enumerate(names)}
    shares = []
    for r in orders:
        if r.lower not in index or r.upper not in index or {r.lower, r.upper} & busy:
            continue
        if lowers.count(r.lower) > 1 or r.lower in uppers or r.upper in lowers:
            continue
        low = values[:, index[r.lower]]
        if np.isfinite(low).sum() >= MIN_ROWS:
            shares.append(Share(index[r.lower], index[r.upper], float(np.nanmin(low))))
    return shares


def _candidates(values: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Columns that may take part: all present values positive, enough of them, not constant."""
    keep = []
    for j in np.flatnonzero(allowed):
        x = values[:, j][~np.isnan(values[:, j])]
        if len(x) >= MIN_ROWS and x.min() > 0 and x.max() > x.min():
            keep.append(j)
    return np.asarray(keep, dtype=np.int64)


def _best_relations(cov: np.ndarray) -> list[tuple[float, float, int, tuple[int, ...]]]:
    """Per target, ``(1 - R^2, -log variance, target, factors)`` of its best one or two factors.

    From the covariance matrix of the log columns alone: the ``R^2`` of a
    regression on ``a`` is ``C_ta^2 / (C_aa C_tt)``, on ``a`` and ``b`` the
    quadratic form of ``(C_ta, C_tb)`` in the inverse of their 2x2 block.
    """
    m = len(cov)
    var = np.diag(cov)
    with np.errstate(divide="ignore", invalid="ignore"):
        single = cov**2 / np.outer(var, var)  # [t, a]
    np.fill_diagonal(single, np.nan)
    best = []
    for t in range(m):
        row = np.nan_to_num(single[t], nan=-1.0)
        a = int(np.argmax(row))
        left_single = 1.0 - row[a]
        pair, pair_left = (), np.inf
        ct, others = cov[t], np.delete(np.arange(m), t)
        for a2 in others:
            b = others[others > a2]
            if len(b) == 0:
                continue
            det = cov[a2, a2] * cov[b, b] - cov[a2, b] ** 2
            with np.errstate(divide="ignore", invalid="ignore"):
                quadratic = cov[b, b] * ct[a2] ** 2 - 2 * cov[a2, b] * ct[a2] * ct[b]
                explained = (quadratic + cov[a2, a2] * ct[b] ** 2) / (det * cov[t, t])
            # near-collinear factors: their 2x2 block is singular, the single one serves
            explained = np.where(det > 1e-9 * cov[a2, a2] * cov[b, b], explained, np.nan)
            if np.all(np.isnan(explained)):
                continue
            k = int(np.nanargmax(explained))
            if 1.0 - explained[k] < pair_left:
                pair, pair_left = (int(a2), int(b[k])), 1.0 - float(explained[k])
        # a power law between two columns holds both ways: the column of the larger
        # log variance (the product, the square) is the one recomputed
        if left_single <= 1 - MIN_R2 and not pair_left < _PAIR_GAIN * left_single:
            best.append((round(left_single, 9), -var[t], t, (a,)))
        elif pair_left <= 1 - MIN_R2:
            best.append((round(pair_left, 9), -var[t], t, pair))
    return best


def _least_squares(values: np.ndarray, target: int, factors: Sequence[int]) -> Product | None:
    """The relation refitted on every row where its columns are present; None if it fails."""
    cols = [target, *factors]
    x = values[:, cols]
    x = x[~np.isnan(x).any(axis=1)]
    if len(x) < MIN_ROWS or len(np.unique(x[:, 0])) < MIN_DISTINCT:
        return None
    logs = np.log(x)
    design = np.column_stack([np.ones(len(logs)), logs[:, 1:]])
    coef, *_ = np.linalg.lstsq(design, logs[:, 0], rcond=None)
    left = np.var(logs[:, 0] - design @ coef) / np.var(logs[:, 0])
    if not left <= 1 - MIN_R2:
        return None
    return Product(int(target), tuple(int(f) for f in factors), tuple(float(c) for c in coef))


def take_unchained(
    candidates: Iterable[tuple[int, Sequence[int]]],
    fit: Callable[[int, Sequence[int]], _R | None],
) -> list[_R]:
    """Fit each ``(target, factors)`` candidate in turn, best first, and keep those that fit.

    A candidate is skipped when its target is a kept relation's factor or one
    of its factors a kept relation's target: no chains, so the targets can be
    recomputed in any order. Returns the kept relations by target.
    """
    found: list[_R] = []
    targets: set[int] = set()
    factors: set[int] = set()
    for t, fs in candidates:
        if t in factors or targets.intersection(fs):
            continue
        relation = fit(t, fs)
        if relation is not None:
            found.append(relation)
            targets.add(t)
            factors.update(fs)
    return sorted(found, key=lambda r: r.target)


def underived(names: Sequence[Hashable], rules: Sequence[Rule]) -> np.ndarray:
    """Per column name, whether no rule computes it: a derived column is the rule's to set."""
    derived = {r.target for r in rules if isinstance(r, Derivation)}
    return np.array([name not in derived for name in names], dtype=bool)


def find_products(values: np.ndarray, allowed: np.ndarray | None = None) -> list[Product]:
    """The noisy power-law relations among positive continuous columns.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_columns)
        Real continuous values, NaN where missing.
    allowed : ndarray of bool of shape (n_columns,), optional
        Columns that may take part (a column a rule derives exactly is left to it).

    Returns
    -------
    list of Product
        At most one per target. No target is a factor of another relation, so
        the targets can be recomputed in any order.
    """
    m = values.shape[1]
    allowed = np.ones(m, dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
    cand = _candidates(values, allowed)
    if len(cand) < 2:
        return []
    logs = pd.DataFrame(np.log(values[:, cand]))
    # pairwise-complete: a column with missing values still pairs with the others
    cov = logs.cov(min_periods=MIN_ROWS).to_numpy()
    cov = np.where(np.isnan(cov), 0.0, cov)
    candidates = (
        (int(cand[t]), [int(cand[f]) for f in fs]) for *_, t, fs in sorted(_best_relations(cov))
    )
    return take_unchained(candidates, lambda t, fs: _least_squares(values, t, fs))
