"""Heaped precision: how many decimals a column's values are written with.

Real columns often mix precisions. Most debt-to-income ratios of the Boston
mortgage table (``benchmarks/real_tables.py``) are written to two decimals
(0.36, 0.26) and the rest to three or four (0.3207); incomes of the credit card
table to whole or tenth thousands for most applicants and to the dollar for
some; loan-to-value ratios heap at 0.8 and 0.9. A generator's values snapped to
the finest grid carry every decimal, so a reader sees 0.3819 beside 0.36, and a
detector finds the heaps missing. :func:`detect_heaping` measures the share of
a column's values written with exactly ``d`` decimals, and :func:`heap` writes
each generated value with a number of decimals drawn from those shares.

Values stored in float32 (0.81419998 for 0.8142) are read as the decimals they
were written with, and generated values are stored the same way.

A column is heaped when some level holds clearly more values than chance puts
there (:data:`_EXCESS`), spread over several values: one value held by many
rows (a zero for "none", a cap) is a point mass, which the generator's modes
already give, and is left out of the shares and left alone in samples.

Plain numpy, no pandas or torch.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

__all__ = ["Heaping", "detect_heaping", "heap"]

# Finest level read as written decimals: beyond it values are measurements.
MAX_DECIMALS = 6
# Share of the values that must have at most the finest level's decimals.
_MIN_SHARE = 0.99
# A single value held by at least this share of a column's values is a point mass.
_SPIKE_SHARE = 0.10
# A level is a heap when its cumulative share beats chance (10**-(finest - d) of
# the values fall on it when all are written to the finest level) twice over and
# by this much besides...
_EXCESS = 0.05
# ...and its values take at least this many distinct values.
_MIN_DISTINCT = 5
# How far from a level's grid point (in steps) still counts as on it: a random
# value is, by chance, one time in 500.
_TOLERANCE = 1e-3


@dataclass
class Heaping:
    """Shares of a column's values per number of decimals; plain values (JSON-able).

    Parameters
    ----------
    coarsest : int
        Decimals of the coarsest level (negative for tens, hundreds, ...).
    shares : list of float
        ``shares[i]``: share of the values written with exactly ``coarsest + i``
        decimals (values on a coarser grid count at ``coarsest``).
    float32 : bool
        The values are float32 numbers: generated ones are stored so too.
    spikes : list of float
        Point masses, left out of the shares and left alone in samples.
    """

    coarsest: int
    shares: list[float]
    float32: bool = False
    spikes: list[float] = field(default_factory=list)

    @property
    def finest(self) -> int:
        return self.coarsest + len(self.shares) - 1

    def to_dict(self) -> dict:
        return asdict(self)


def detect_heaping(
    values: np.ndarray, grid_step: float | None, has_values_grid: bool
) -> Heaping | None:
    """The decimals a column's values are written with, or None.

    None unless the values are written decimals (on a decimal grid of at most
    :data:`MAX_DECIMALS`) and either heaped or stored as float32.

    Parameters
    ----------
    values : array-like of float
        The column's training values; NaN is ignored.
    grid_step, has_values_grid
        The column's grid (:func:`ganaug.encoders.grids.detect_grid`): a step
        that is not a power of ten (quarters, fives), or a grid of observed
        values, has no decimal levels.
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if has_values_grid or (grid_step is not None and not _is_power_of_ten(grid_step)):
        return None
    distinct, counts = np.unique(values, return_counts=True)
    # zero is "none" more often than a round number: a point mass once it repeats
    spikes = distinct[(counts >= _SPIKE_SHARE * values.size) | ((distinct == 0) & (counts > 1))]
    values = values[~np.isin(values, spikes)]
    if len(np.unique(values)) < _MIN_DISTINCT:
        return None
    coarsest = math.ceil(math.log10(2.0 / float(values.max() - values.min())))
    levels = _levels(values, coarsest, MAX_DECIMALS)
    reached = [d for d in range(coarsest, MAX_DECIMALS + 1) if np.mean(levels <= d) >= _MIN_SHARE]
    if not reached or reached[0] <= coarsest:
        return None
    finest = reached[0]
    levels = np.clip(levels, coarsest, finest)
    shares = np.bincount(levels - coarsest, minlength=finest - coarsest + 1) / levels.size
    # most values stored in float32 (0.81419998 for 0.8142): samples are stored so too
    float32 = bool(np.mean(_float32_only(values, finest)) > 0.5)
    model = Heaping(coarsest, shares.tolist(), float32, spikes.tolist())
    # a float32 column is written again as its decimals, heaped or not
    return model if float32 or _is_heaped(values, levels, model) else None


def heap(
    values: np.ndarray,
    model: Heaping,
    uniforms: np.ndarray,
    lower: float = -np.inf,
    upper: float = np.inf,
) -> np.ndarray:
    """Each value written with a number of decimals drawn from the model's shares.

    A value drawn to have ``d`` decimals that rounds onto a coarser grid (0.3012
    to 0.30 when 2 are drawn) moves one step of ``10**-d`` towards where it was
    (0.31), so that the shares come out as drawn. Values outside ``[lower,
    upper]`` after rounding take the finest level; NaN and point masses stay.

    Parameters
    ----------
    values : ndarray of float
    model : Heaping
    uniforms : ndarray of float, same length as ``values``
        Uniform draws in ``[0, 1)`` that pick each value's level.
    lower, upper : float, optional
        The column's range.

    Returns
    -------
    ndarray of float64
    """
    values = np.asarray(values, dtype=np.float64)
    out = values.copy()
    active = np.isfinite(values) & ~np.isin(values, model.spikes)
    cumulative = np.cumsum(model.shares)
    drawn = np.searchsorted(cumulative / cumulative[-1], uniforms, side="right")
    level = model.coarsest + np.minimum(drawn, len(model.shares) - 1)
    for d in range(model.coarsest, model.finest + 1):
        rows = active & (level == d)
        if not rows.any():
            continue
        v = values[rows]
        w = _round(v, d)
        if d > model.coarsest:
            coarser = _on_level(w, d - 1)
            w = np.where(coarser, _round(w + np.where(v >= w, 1.0, -1.0) * 10.0**-d, d), w)
        # never onto a point mass (a 0.3 rounded to 0), nor out of range: the finest level
        keep = (w >= lower) & (w <= upper) & ~np.isin(w, model.spikes)
        out[rows] = np.where(keep, w, np.clip(_round(v, model.finest), lower, upper))
    if model.float32:
        out[active] = out[active].astype(np.float32).astype(np.float64)
    return out


# -- helpers ----------------------------------------------------------------------


def _is_power_of_ten(step: float) -> bool:
    exponent = round(math.log10(step))
    return abs(step - 10.0**exponent) <= 1e-9 * step


def _round(values: np.ndarray, decimals: int) -> np.ndarray:
    # whole multiples divided by 10**d: the double nearest the decimal, as data holds it
    if decimals >= 0:
        return np.round(values * 10.0**decimals) / 10.0**decimals
    return np.round(values / 10.0**-decimals) * 10.0**-decimals


def _off_level(values: np.ndarray, decimals: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distance of each value to its rounding at ``decimals``, the distance that
    still counts as on it, and which values are float32 numbers.

    The slack is :data:`_TOLERANCE` of a step (data written from a float32
    computation, 0.3007999992 for 0.3008), plus float32's rounding for float32
    numbers (0.81419998 for 0.8142) where float32 still resolves the step.
    """
    step = 10.0**-decimals
    magnitude = np.abs(values)
    single = np.finfo(np.float32).eps * magnitude
    stored32 = values.astype(np.float32).astype(np.float64) == values
    slack = _TOLERANCE * step + 8 * np.finfo(np.float64).eps * magnitude
    slack = slack + np.where(stored32 & (single < 0.05 * step), single, 0.0)
    return np.abs(values - _round(values, decimals)), slack, stored32


def _on_level(values: np.ndarray, decimals: int) -> np.ndarray:
    """Whether each value is written with at most ``decimals`` decimals."""
    off, slack, _ = _off_level(values, decimals)
    return off <= slack


def _float32_only(values: np.ndarray, decimals: int) -> np.ndarray:
    """Float32 numbers that are written decimals in float32 only (0.81419998)."""
    off, slack, stored32 = _off_level(values, decimals)
    return stored32 & (off <= slack) & (off > 8 * np.finfo(np.float64).eps * np.abs(values))


def _levels(values: np.ndarray, coarsest: int, finest: int) -> np.ndarray:
    """Each value's decimals: the coarsest level it is on (``finest + 1``: none)."""
    level = np.full(values.shape, finest + 1)
    for d in range(finest, coarsest - 1, -1):  # on a level means on every finer one
        level[_on_level(values, d)] = d
    return level


def _is_heaped(values: np.ndarray, levels: np.ndarray, model: Heaping) -> bool:
    """Whether a level coarser than the finest holds clearly more values than chance."""
    cumulative = np.cumsum(model.shares)
    for i, share in enumerate(cumulative[:-1]):
        chance = 10.0 ** -(len(model.shares) - 1 - i)
        if share >= 2 * chance + _EXCESS:
            on = values[levels <= model.coarsest + i]
            if len(np.unique(on)) >= _MIN_DISTINCT:
                return True
    return False
