"""Per-class quantile mapping of continuous columns.

A generator that is trained for a few hundred steps gets each column's centre
and spread roughly right but not its shape: a zero-inflated amount comes out as
a cloud of small non-zero values, a skewed income too symmetric, a clipped
maximum smeared. Rescaling mean and standard deviation (``MomentMatcher``) fixes
the first two moments only; a detector given one column at a time still tells
synthetic from real rows.

:class:`QuantileMatcher` maps each class's synthetic values of a column through
the synthetic distribution function onto the real class's quantile function,
``x -> Q_real(F_synthetic(x))``. Ranks are kept, so the dependence between
columns stays what the generator learned; only each column's marginal within
the class changes. The real quantile function interpolates linearly between
order statistics, so values between observed ones come out rather than copies,
and a value that many real rows share (0 in a zero-inflated amount, a sentinel
such as -1 or 999, a clipped minimum) is a flat stretch of it: it comes out
exactly, at the class's real rate. The cost of the map is that no value falls
outside the range the class shows in the training data.

A class's real values are a sample, and their quantile function is a noisy
estimate of the class's: a few hundred values leave gaps and clumps that every
synthetic row then repeats, and a detector trained on fresh rows of the class
reads them (single columns of the benchmark tables at AUC 0.60-0.69 against
20,000 fresh rows, 0.46-0.52 once smoothed). So a column that takes at least
``MIN_DISTINCT_TO_SMOOTH`` distinct values in a class gets the quantile function
of a kernel density estimate instead: Gaussian kernels with Silverman's
bandwidth, truncated to the class's range, mixed with the class's point masses
(values that many rows share, which stay exact). Point masses are also read on
the rows of all classes together: a round salary that 4% of a wage table's rows
earn is plain there, while a class of a hundred rows shows it seven times, which
is not enough to tell it from a smooth density; any such value a class has is a
point mass of that class, at its rate in the class. Fewer distinct values keep
the plain quantiles: they are a discrete distribution, read exactly.

A small class's values are the noisiest estimate of all, and where a column is
distributed in the class much as in the other classes, their rows estimate it
better: each class's distribution is mixed with the other classes' (with the
one of them, or all together, that suits it best) by the weight that
:class:`ganaug.sampling.borrowing.ColumnDistributions` finds: 1, the class's own
alone, for a large class or a column that tells the classes apart. The mixture
keeps to the class's own range, as above.

Both functions are kept as fixed arrays: each class's and column's quantiles at
``N_LEVELS`` evenly spaced probabilities, for the synthetic reference sample and
for the real rows. Plain numpy, no pandas or torch.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from .borrowing import ColumnDistributions, mixture_quantiles, quantiles_from_distribution
from .corrections import MIN_ROWS_TO_MATCH, ColumnMatcher

__all__ = ["MIN_DISTINCT_TO_SMOOTH", "N_LEVELS", "QuantileMatcher", "smoothed_quantiles"]

# Probability levels at which both quantile functions are kept: 201 levels read
# a point mass's rate to within half a percentage point and cost 1.6 kB per class
# and column (two float64 arrays).
N_LEVELS = 201
# Distinct values a class needs in a column for its quantiles to be smoothed.
MIN_DISTINCT_TO_SMOOTH = 20
# A point mass: a value of at least this many rows, and at least this many times
# the mean share of a distinct value (a whole-number column's common values are not).
_ATOM_ROWS, _ATOM_RATIO = 5, 4.0
# Pooled point masses count only where the other values are mostly distinct: at
# least this share of them (a discrete column's common values are not masses).
_POOLED_DISTINCT = 0.2
# Kernel centres (quantiles of the values when there are more) and CDF grid points:
# bound the cost to about 0.3 M kernel evaluations per class and column.
_KERNELS, _GRID = 512, 513


class QuantileMatcher(ColumnMatcher):
    """Per class and column, ``x -> Q_real(F_synthetic(x))`` on NaN-free values.

    Parameters
    ----------
    pooled_atoms : bool, default=True
        Read point masses on the rows of all classes too (the values of a
        table's columns). Off for the residuals of relations: a share of 1/2
        is common in the pooled rows because small bounds are, and drawing it
        as a point mass whatever the bound would be wrong.
    borrow : bool, default=True
        Mix each class's distribution with the other classes' where they agree
        (:mod:`ganaug.sampling.borrowing`).

    Attributes
    ----------
    synthetic_, real_ : ndarray of shape (n_classes, n_columns, N_LEVELS)
        The synthetic and real quantiles at ``levels_``; NaN where a class has
        fewer than ``MIN_ROWS_TO_MATCH`` real (or synthetic) values in a column,
        which then passes through unchanged.
    levels_ : ndarray of shape (N_LEVELS,)
        Evenly spaced probabilities from 0 to 1.
    own_weight_ : ndarray of shape (n_classes, n_columns)
        The weight of each class's own values in its real quantiles (1 where
        nothing is borrowed); set by :meth:`fit`, not saved with a model.
    """

    def __init__(self, pooled_atoms: bool = True, borrow: bool = True) -> None:
        self.pooled_atoms = pooled_atoms
        self.borrow = borrow

    def fit(
        self,
        real: np.ndarray,
        real_y: np.ndarray,
        synthetic: np.ndarray,
        synthetic_y: np.ndarray,
        n_classes: int,
    ) -> QuantileMatcher:
        """Estimate the map per class and column (see :meth:`ColumnMatcher.fit`)."""
        # the point masses of all rows: read before the classes, used by each (not kept)
        columns = np.asarray(real).T if self.pooled_atoms else []
        self._shared_atoms = [_pooled_point_masses(c[~np.isnan(c)]) for c in columns] or None
        self._real, self._real_y = np.asarray(real), np.asarray(real_y)
        self._columns: dict[int, ColumnDistributions] = {}
        try:
            return super().fit(real, real_y, synthetic, synthetic_y, n_classes)
        finally:
            del self._shared_atoms, self._real, self._real_y, self._columns

    def _start(self, n_classes: int, n_cols: int) -> None:
        self.levels_ = np.linspace(0.0, 1.0, N_LEVELS)
        self.synthetic_ = np.full((n_classes, n_cols, N_LEVELS), np.nan)
        self.real_ = np.full((n_classes, n_cols, N_LEVELS), np.nan)
        self.own_weight_ = np.ones((n_classes, n_cols))

    def _fit_column(self, k: int, j: int, real: np.ndarray, synthetic: np.ndarray) -> None:
        # the real side smoothed where it has many values; ties give flat stretches
        atoms = self._shared_atoms[j] if self._shared_atoms is not None else ()
        quantiles = smoothed_quantiles(real, self.levels_, atoms)
        if self.borrow:
            if j not in self._columns:
                n_classes = len(self.own_weight_)
                self._columns[j] = ColumnDistributions(self._real[:, j], self._real_y, n_classes)
            weight, source = self._columns[j].best_source(k, MIN_ROWS_TO_MATCH)
            if len(source):
                values = self._real[np.isin(self._real_y, source), j]
                borrowed = smoothed_quantiles(values[~np.isnan(values)], self.levels_, atoms)
                quantiles = mixture_quantiles(quantiles, borrowed, weight, self.levels_)
                self.own_weight_[k, j] = weight
        self.real_[k, j] = quantiles
        self.synthetic_[k, j] = np.quantile(synthetic, self.levels_)

    @classmethod
    def from_arrays(cls, synthetic: np.ndarray, real: np.ndarray) -> QuantileMatcher:
        """A matcher from saved ``synthetic_`` and ``real_`` arrays."""
        matcher = cls()
        matcher.synthetic_ = np.asarray(synthetic, dtype=np.float64)
        matcher.real_ = np.asarray(real, dtype=np.float64)
        matcher.levels_ = np.linspace(0.0, 1.0, matcher.real_.shape[-1])
        return matcher

    def apply(self, values: np.ndarray, y: np.ndarray, ties: np.ndarray) -> np.ndarray:
        """The mapped values of rows of classes ``y``; NaN stays NaN.

        Parameters
        ----------
        values : ndarray of shape (n, n_columns)
            Synthetic continuous values, NaN where missing.
        y : ndarray of shape (n,)
            Class indices.
        ties : ndarray of shape (n, n_columns)
            Uniform draws in [0, 1) that spread a synthetic value shared by many
            reference rows (a tanh output at its bound, a collapsed column) over
            the share of the distribution it holds, instead of sending all of
            them to one quantile.

        Returns
        -------
        ndarray of shape (n, n_columns)
        """
        out = np.array(values, dtype=np.float64, copy=True)
        for k in np.unique(y):
            rows = np.flatnonzero(y == k)
            for j in np.flatnonzero(~np.isnan(self.real_[k, :, 0])):
                x = out[rows, j]
                knots = self.synthetic_[k, j]
                if np.all(np.diff(knots) > 0):
                    # no point mass in the synthetic reference: plain interpolation, the
                    # same function as _distribution's and about twice as fast to sample
                    u = np.interp(x, knots, self.levels_)
                else:
                    u = _distribution(x, knots, self.levels_, ties[rows, j])
                mapped = np.interp(u, self.levels_, self.real_[k, j])
                out[rows, j] = np.where(np.isnan(x), np.nan, mapped)
        return out

    def real_quantiles(self, u: np.ndarray, y: np.ndarray, j: int) -> np.ndarray:
        """Column ``j``'s real quantile function at levels ``u``, each row by its class.

        NaN for the rows of a class that is not matched (too few rows).
        """
        out = np.full(len(u), np.nan)
        for k in np.unique(y):
            if not np.isnan(self.real_[k, j, 0]):
                rows = y == k
                out[rows] = np.interp(u[rows], self.levels_, self.real_[k, j])
        return out


def _distribution(
    x: np.ndarray, knots: np.ndarray, levels: np.ndarray, ties: np.ndarray
) -> np.ndarray:
    """The piecewise-linear distribution function through ``(knots, levels)`` at ``x``.

    A value equal to several knots (a point mass of the synthetic sample) gets a
    level drawn uniformly between the first and the last of them.
    """
    last = len(knots) - 1
    lo = np.searchsorted(knots, x, side="left")
    hi = np.searchsorted(knots, x, side="right")
    left, right = np.clip(lo - 1, 0, last), np.clip(lo, 0, last)
    gap = knots[right] - knots[left]
    safe_gap = np.where(gap > 0, gap, 1.0)
    frac = np.clip(np.where(gap > 0, (x - knots[left]) / safe_gap, 0.0), 0.0, 1.0)
    between = levels[left] + frac * (levels[right] - levels[left])
    first, final = np.clip(lo, 0, last), np.clip(hi - 1, 0, last)
    tied = levels[first] + ties * (levels[final] - levels[first])
    return np.where(hi > lo, tied, between)


def point_masses(values: np.ndarray) -> np.ndarray:
    """The values that many rows share: at least ``_ATOM_ROWS`` rows, and at least
    ``_ATOM_RATIO`` times the mean count of a distinct value."""
    distinct, counts = np.unique(values, return_counts=True)
    if len(distinct) == 0:
        return distinct
    return distinct[(counts >= _ATOM_ROWS) & (counts >= _ATOM_RATIO * len(values) / len(distinct))]


def _pooled_point_masses(values: np.ndarray) -> np.ndarray:
    """The point masses of a column's pooled rows, or none for a discrete column.

    Where the other values repeat too (fewer distinct values than
    :data:`_POOLED_DISTINCT` of the rows: whole years in a role, weeks worked),
    the common values are the distribution, not masses on top of a density; as
    masses in every class, the class's smoothed rest would pile onto them.
    """
    atoms = point_masses(values)
    rest = values[~np.isin(values, atoms)]
    if len(atoms) == 0 or len(np.unique(rest)) < _POOLED_DISTINCT * len(rest):
        return atoms[:0]
    return atoms


def smoothed_quantiles(
    values: np.ndarray, levels: np.ndarray, shared_atoms: np.ndarray | tuple = ()
) -> np.ndarray:
    """Quantiles at ``levels`` of a kernel density estimate of ``values``, point masses kept.

    The point masses are the values's own (:func:`point_masses`) and those of
    ``shared_atoms`` (read on more rows) that the values hold. Values with fewer
    than ``MIN_DISTINCT_TO_SMOOTH`` distinct values (or too few left once the
    point masses are set apart) get their plain quantiles. The estimate is
    truncated to ``[min, max]`` of the values: a positive amount stays positive,
    a class's range stays its range.
    """
    distinct, counts = np.unique(values, return_counts=True)
    if len(distinct) < MIN_DISTINCT_TO_SMOOTH:
        return np.quantile(values, levels)
    atom = np.isin(distinct, point_masses(values)) | np.isin(distinct, shared_atoms)
    rest = values[~np.isin(values, distinct[atom])]
    spread = min(rest.std(), np.subtract(*np.percentile(rest, [75, 25])) / 1.34 or np.inf)
    if len(np.unique(rest)) < MIN_DISTINCT_TO_SMOOTH or not spread > 0:
        return np.quantile(values, levels)
    width = 0.9 * spread * len(rest) ** -0.2  # Silverman's rule of thumb
    centres = rest if len(rest) <= _KERNELS else np.quantile(rest, np.linspace(0, 1, _KERNELS))
    lo, hi = float(values.min()), float(values.max())
    grid = np.union1d(np.linspace(lo, hi, _GRID), distinct[atom])
    kernel = ndtr((grid[:, None] - centres[None, :]) / width).mean(axis=1)
    kernel = (kernel - kernel[0]) / (kernel[-1] - kernel[0])  # truncated to [lo, hi]
    mass = np.zeros(len(grid))
    mass[np.searchsorted(grid, distinct[atom])] = counts[atom] / len(values)
    right = np.cumsum(mass) + len(rest) / len(values) * kernel  # P(X <= x)
    right = np.maximum.accumulate(np.minimum(right / right[-1], 1.0))
    left = np.maximum(right - mass, np.r_[0.0, right[:-1]])  # P(X < x)
    return quantiles_from_distribution(grid, left, right, levels)
