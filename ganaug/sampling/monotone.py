"""Columns that are an exact monotone function of another: a log wage and the wage.

Published tables often carry a column next to its transform: ISLR's ``Wage``
table has ``wage`` and ``logwage`` (``wage == exp(logwage)`` to the last
digit). A power law (:class:`~.products.Product`) fitted between the two is
close to ``exp`` over the data but not equal to it, so every synthetic row
broke the transform a little, and the rules of the table that tie a round
``logwage`` to its ``wage`` broke outright. :func:`find_monotone` finds such
pairs (equal factor values always give equal target values, and the target
rises or falls strictly with the factor) and :class:`Monotone` recomputes the
target from the factor by interpolating the training pairs: exact at every
training value, linear between neighbouring ones.

Plain numpy, no pandas or torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .products import MIN_DISTINCT, MIN_ROWS, DifferenceResidual

__all__ = ["Monotone", "find_monotone"]

# The training pairs kept as knots beyond the shared values (evenly spaced in rank).
MAX_KNOTS = 1000
# Largest log residual of a power law that is exact but for float rounding (a
# target stored to 8 significant digits is within about 1e-8).
_POWER_LAW_TOLERANCE = 1e-6
# Rows (evenly spaced) on which every pair is screened before it is fitted on all.
_SCREEN_ROWS = 256
# How far (relative to the target's range) equal factor values' targets may differ,
# and a rise between neighbours must reach, for the pair to count as a function.
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Monotone(DifferenceResidual):
    """``values[:, target] = f(values[:, factor])``, ``f`` through the knots.

    ``target`` and ``factor`` index the continuous columns; the knots are the
    factor's and the target's values at the training pairs, the factor's
    increasing. The residual, ``target - f(factor)``, is zero in the training rows.
    """

    target: int
    factor: int
    knots_factor: tuple[float, ...]
    knots_target: tuple[float, ...]

    @property
    def factors(self) -> tuple[int, ...]:
        return (self.factor,)

    def predicted(self, values: np.ndarray) -> np.ndarray:
        """``f(factor)`` per row (the end knots beyond them); NaN where the factor is missing."""
        x = values[:, self.factor]
        return np.where(np.isnan(x), np.nan, np.interp(x, self.knots_factor, self.knots_target))

    def to_config(self) -> dict:
        return {
            "kind": "monotone",
            "target": self.target,
            "factor": self.factor,
            "knots_factor": list(self.knots_factor),
            "knots_target": list(self.knots_target),
        }

    @classmethod
    def from_config(cls, config: dict) -> Monotone:
        return cls(
            int(config["target"]),
            int(config["factor"]),
            tuple(map(float, config["knots_factor"])),
            tuple(map(float, config["knots_target"])),
        )


def find_monotone(values: np.ndarray, allowed: np.ndarray) -> list[Monotone]:
    """The pairs of allowed columns where one is a strictly monotone function of the other.

    Each column takes part in one pair at most; the later column of a pair is
    its target. Columns with fewer than ``MIN_DISTINCT`` distinct values, or
    pairs with fewer than ``MIN_ROWS`` rows where both are present, are skipped.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_columns)
        Real continuous values, NaN where missing.
    allowed : ndarray of bool of shape (n_columns,)

    Returns
    -------
    list of Monotone
    """
    columns = [
        j
        for j in np.flatnonzero(allowed)
        if len(np.unique(values[:, j][~np.isnan(values[:, j])])) >= MIN_DISTINCT
    ]
    # every pair is screened on a few hundred rows first: most fail there, cheaply
    screen = values[np.unique(np.linspace(0, len(values) - 1, _SCREEN_ROWS).astype(int))]
    found: list[Monotone] = []
    used: set[int] = set()
    for i, a in enumerate(columns):
        for t in columns[i + 1 :]:
            if a in used or t in used or _fit(screen, int(t), int(a), 2) is None:
                continue
            relation = _fit(values, int(t), int(a))
            if relation is not None:
                found.append(relation)
                used.update((a, t))
    return found


def _fit(values: np.ndarray, target: int, factor: int, min_rows: int = MIN_ROWS) -> Monotone | None:
    rows = ~np.isnan(values[:, target]) & ~np.isnan(values[:, factor])
    if rows.sum() < min_rows:
        return None
    x, t = values[rows, factor], values[rows, target]
    knots_x, first, inverse = np.unique(x, return_index=True, return_inverse=True)
    knots_t = t[first]
    scale = float(np.ptp(t)) or 1.0
    # a function: the rows of one factor value share their target value
    if np.abs(t - knots_t[inverse]).max() > _TOLERANCE * scale:
        return None
    steps = np.diff(knots_t)
    if not (np.all(steps > _TOLERANCE * scale) or np.all(steps < -_TOLERANCE * scale)):
        return None
    if _is_power_law(knots_x, knots_t):
        return None  # a product recomputes it exactly everywhere, not only at the knots
    if len(knots_x) > MAX_KNOTS:
        # evenly spaced in rank, and every value that rows share (a round salary stays exact)
        spaced = np.linspace(0, len(knots_x) - 1, MAX_KNOTS).round().astype(int)
        shared = np.flatnonzero(np.bincount(inverse) > 1)
        keep = np.union1d(spaced, shared)
        knots_x, knots_t = knots_x[keep], knots_t[keep]
    return Monotone(target, factor, tuple(map(float, knots_x)), tuple(map(float, knots_t)))


def _is_power_law(x: np.ndarray, t: np.ndarray) -> bool:
    """Whether ``t = c * x**b`` to float precision (positive values only): ``share = 0.0012
    / income``, which :class:`~.products.Product` recomputes exactly between the knots too."""
    if not (np.all(x > 0) and np.all(t > 0)):
        return False
    design = np.column_stack([np.ones(len(x)), np.log(x)])
    coef, *_ = np.linalg.lstsq(design, np.log(t), rcond=None)
    return bool(np.abs(np.log(t) - design @ coef).max() <= _POWER_LAW_TOLERANCE)
