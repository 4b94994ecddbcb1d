"""Value grids of numeric columns: where a column's values can lie.

Real columns often hold values from a grid that a generator's smooth output
misses: whole numbers stored as floats (an income of 52000.0), round amounts
(loans in steps of 1,000, prices in cents, scores in quarters), or a handful of
codes (a rating of 1 to 5). :func:`detect_grid` finds such a grid from the
training values, :func:`snap` moves generated values onto it and
:func:`on_grid` tells which values already lie on it.

A grid is one of:

- observed values (``values``): a few-valued column whose every value repeats
  (at most 20 distinct values, each seen 4 times on average): samples take the
  nearest observed value;
- a step (``step`` and ``offset``): at least 99% of the values are
  ``offset + k * step`` for whole ``k``. The step is the coarsest of the
  1-2-2.5-5 x 10^k ladder that fits, so multiples of 5,000 are not taken for
  multiples of 1; the offset covers prices such as 9.99, 19.99, 29.99.
  Fractions of a whole, ``1 / n`` for the ``n`` of :data:`FRACTIONS` (thirds,
  sixths, months, half months, weeks and days of a year), take their place
  among those steps by size: an age in years and months (32.33333, 37.91667)
  is on the grid of twelfths. Such values are stored rounded, so a value
  counts as on a fraction's grid within a thousandth of its step (a random
  value is, by chance, one time in 500).

Plain numpy, no pandas or torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["FRACTIONS", "Grid", "detect_grid", "on_grid", "snap"]

# A few-valued column: at most this many distinct values, each seen on average
# at least _MIN_REPEATS times, is drawn from its observed values.
_MAX_DISTINCT = 20
_MIN_REPEATS = 4
# Share of values that must lie on a step grid ("nearly all").
_MIN_SHARE = 0.99
# Ladder of step mantissas, coarsest first within a decade.
_MANTISSAS = (5.0, 2.5, 2.0, 1.0)
# Finest step tried, relative to the largest magnitude: below it float64 rounding
# (about 2e-16 relative) would blur which multiple a value is.
_FINEST_RELATIVE = 1e-11
# An offset grid needs this many values: two values share an offset on any step
# that divides their difference, twenty do not by chance.
_MIN_VALUES_FOR_OFFSET = 20
# Detection looks at most at this many values (evenly spaced, no random state).
_MAX_VALUES = 5000
# How far from a grid point (in steps) still counts as on it, beyond float rounding.
_TOLERANCE = 1e-6
# Steps 1 / n that are not decimals, and how far (in steps) from their points still
# counts as on them: a twelfth written to 5 decimals is 4e-4 of a step off.
FRACTIONS = (3, 6, 12, 24, 52, 365)
_FRACTION_TOLERANCE = 1e-3


@dataclass
class Grid:
    """Where a column's values lie; plain values only (JSON-able).

    Parameters
    ----------
    step : float or None
        Distance between neighbouring grid points; None for a grid of observed values.
    offset : float, default=0.0
        Grid points are ``offset + k * step`` for whole ``k``; ``0 <= offset < step``.
    values : list of float, optional
        The sorted observed values of a few-valued column (``step`` is None).
    """

    step: float | None
    offset: float = 0.0
    values: list[float] | None = None


def detect_grid(values: np.ndarray) -> Grid | None:
    """The grid that a column's values lie on, or None when they lie on none.

    Parameters
    ----------
    values : array-like of float
        The column's training values; NaN is ignored.

    Returns
    -------
    Grid or None
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    values = values[~np.isnan(values)]
    if values.size == 0 or not np.all(np.isfinite(values)):
        return None
    distinct = np.unique(values)
    if len(distinct) == 1 or (
        len(distinct) <= _MAX_DISTINCT and len(distinct) * _MIN_REPEATS <= len(values)
    ):
        return Grid(None, values=distinct.tolist())
    if len(values) > _MAX_VALUES:
        values = values[:: -(-len(values) // _MAX_VALUES)]
    spread = float(distinct[-1] - distinct[0])
    finest = _FINEST_RELATIVE * float(np.abs(distinct).max())
    allow_offset = len(values) >= _MIN_VALUES_FOR_OFFSET
    # at least three grid points inside the range: a coarser "grid" says nothing
    steps = _ladder(spread / 2, finest) + [1 / n for n in FRACTIONS if 1 / n <= spread / 2]
    for step in sorted(steps, reverse=True):
        offset = _fitting_offset(values, step, allow_offset and not _is_fraction(step))
        if offset is not None:
            return Grid(step, offset)
    return None


def snap(
    values: np.ndarray, grid: Grid | None, lower: float = -np.inf, upper: float = np.inf
) -> np.ndarray:
    """Each value moved to its nearest grid point inside ``[lower, upper]``; NaN kept.

    Parameters
    ----------
    values : array-like of float
    grid : Grid or None
        None returns the values unchanged (as floats).
    lower, upper : float, optional
        Bounds the result must respect: a grid point beyond one is replaced by the
        neighbouring point inside; where no grid point lies inside, the value is
        only clipped to the bounds.

    Returns
    -------
    ndarray of float64
    """
    values = np.asarray(values, dtype=np.float64)
    if grid is None or values.size == 0:
        return values.copy()
    missing = np.isnan(values)
    filled = np.where(missing, 0.0, values)
    if grid.step is None:
        points = np.asarray(grid.values, dtype=np.float64)
        inside = points[(points >= lower) & (points <= upper)]
        out = _nearest(filled, inside if inside.size else points)
    else:
        multiples = np.round((filled - grid.offset) / grid.step)
        out = _grid_points(multiples, grid)
        # the grid point just inside a bound, for values snapped past it
        low_point = _grid_points(np.ceil((lower - grid.offset) / grid.step - _TOLERANCE), grid)
        high_point = _grid_points(np.floor((upper - grid.offset) / grid.step + _TOLERANCE), grid)
        out = np.where(out < lower, low_point, out)
        out = np.where(out > upper, high_point, out)
    out = np.where((out >= lower) & (out <= upper), out, np.clip(filled, lower, upper))
    return np.where(missing, np.nan, out)


def on_grid(values: np.ndarray, grid: Grid | None) -> np.ndarray:
    """Whether each value lies on the grid (NaN: False; no grid: True for numbers).

    Parameters
    ----------
    values : array-like of float
    grid : Grid or None

    Returns
    -------
    ndarray of bool
    """
    values = np.asarray(values, dtype=np.float64)
    present = ~np.isnan(values)
    if grid is None:
        return present
    filled = np.where(present, values, 0.0)
    if grid.step is None:
        points = np.asarray(grid.values, dtype=np.float64)
        nearest = _nearest(filled, points)
        tolerance = 4 * np.finfo(np.float64).eps * np.maximum(np.abs(filled), 1.0)
        return present & (np.abs(filled - nearest) <= tolerance)
    return present & _on_step(filled, grid.step, grid.offset)


# -- helpers ----------------------------------------------------------------------


def _ladder(coarsest: float, finest: float) -> list[float]:
    """Steps m * 10^k (m in 5, 2.5, 2, 1) from at most ``coarsest`` down to ``finest``."""
    if not coarsest > 0:
        return []
    finest = max(finest, np.finfo(np.float64).tiny)
    steps = []
    for exponent in range(math.floor(math.log10(coarsest)), math.floor(math.log10(finest)) - 1, -1):
        for mantissa in _MANTISSAS:
            step = _decimal_step(mantissa, exponent)
            if finest <= step <= coarsest:
                steps.append(step)
    return steps


def _decimal_step(mantissa: float, exponent: int) -> float:
    # 0.1 written as 1 / 10 rather than 1 * 0.1: the double nearest the decimal
    if exponent >= 0:
        return mantissa * 10.0**exponent
    return mantissa / 10.0 ** (-exponent)


def _fitting_offset(values: np.ndarray, step: float, allow_offset: bool) -> float | None:
    """The offset in ``[0, step)`` that puts >= 99% of ``values`` on the step grid, or None."""
    if _on_step(values, step, 0.0).mean() >= _MIN_SHARE:
        return 0.0
    if not allow_offset:
        return None
    # the most common position inside a step, read to the tolerance
    position = np.mod(values, step) / step
    bins = np.round(position / _TOLERANCE).astype(np.int64) % round(1 / _TOLERANCE)
    found, counts = np.unique(bins, return_counts=True)
    best = int(np.argmax(counts))
    if counts[best] < _MIN_SHARE * len(values):
        return None
    offset = _tidy(float(np.median(position[bins == found[best]])) * step, step)
    if _on_step(values, step, offset).mean() < _MIN_SHARE:
        return None
    return offset


def _tidy(offset: float, step: float) -> float:
    """The offset rounded to the fewest decimals that keep it within tolerance."""
    for decimals in range(0, 16):
        rounded = round(offset, decimals)
        if abs(rounded - offset) <= _TOLERANCE * step:
            return rounded if rounded < step else 0.0
    return offset


def _is_fraction(step: float) -> bool:
    """Whether ``step`` is ``1 / n`` for an ``n`` of :data:`FRACTIONS`."""
    inverse = 1.0 / step
    return round(inverse) in FRACTIONS and abs(inverse - round(inverse)) < 1e-9


def _on_step(values: np.ndarray, step: float, offset: float) -> np.ndarray:
    multiples = (values - offset) / step
    tolerance = _FRACTION_TOLERANCE if _is_fraction(step) else _TOLERANCE
    slack = tolerance + 8 * np.finfo(np.float64).eps * (np.abs(values) + abs(offset)) / step
    return np.abs(multiples - np.round(multiples)) <= slack


def _grid_points(multiples: np.ndarray, grid: Grid) -> np.ndarray:
    step = float(grid.step)  # type: ignore[arg-type]
    inverse = 1.0 / step
    if step < 1 and abs(inverse - round(inverse)) < 1e-9:
        # k / 10 rather than k * 0.1: the double nearest the decimal, as the data holds it
        points = multiples / round(inverse)
    else:
        points = multiples * step
    if grid.offset:
        points = points + grid.offset
        decimals = _decimals(step) + _decimals(grid.offset)
        points = np.round(points, min(decimals, 15)) if decimals else points
    return points


def _decimals(x: float) -> int:
    """Decimals needed to write ``x`` (up to 15)."""
    for decimals in range(16):
        if abs(round(x, decimals) - x) <= 1e-12 * max(abs(x), 1.0):
            return decimals
    return 15


def _nearest(values: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The nearest of the sorted ``points`` to each value."""
    if points.size == 1:
        return np.full_like(values, points[0])
    idx = np.clip(np.searchsorted(points, values), 1, len(points) - 1)
    left, right = points[idx - 1], points[idx]
    return np.where(values - left <= right - values, left, right)
