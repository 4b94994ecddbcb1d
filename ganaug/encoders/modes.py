"""Mode-specific normalization of continuous columns: the modes of each column.

A Bayesian Gaussian mixture finds a column's modes (CTGAN's mode-specific
normalization); :func:`modes_of` assigns each value its most probable mode and
:func:`cover_outliers` adds modes for values that no mode could encode.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture
from threadpoolctl import threadpool_limits

from .columns import ColumnInfo

__all__ = ["ALPHA_BOUND", "cover_outliers", "fit_modes", "modes_of"]

# BGM cost grows with rows and components; 5 modes on at most 500 rows keeps a
# 30-column table under a few seconds while still finding clear multi-modality.
_MAX_BGM_ROWS = 500
# Most columns converge or settle well before this; each iteration costs ~2 ms.
_BGM_MAX_ITER = 40
# Mode weights below this are empty components the Dirichlet prior switched off.
_MIN_MODE_WEIGHT = 0.005
# CTGAN's bound on the encoded scalar |(x - mean_k) / (4 std_k)|: tanh reaches it.
ALPHA_BOUND = 0.99
# Most modes added for values that the mixture's modes cannot encode (outliers).
_MAX_EXTRA_MODES = 10


def fit_modes(
    info: ColumnInfo, values: np.ndarray, max_modes: int, rng: np.random.Generator
) -> None:
    """Fit a Bayesian Gaussian mixture to a column and store its modes on ``info``."""
    if len(values) > _MAX_BGM_ROWS:
        values = rng.choice(values, _MAX_BGM_ROWS, replace=False)
    n_distinct = len(np.unique(values))
    center = float(values.mean())
    scale = float(values.std()) or 1.0
    mixture = BayesianGaussianMixture(
        n_components=min(max_modes, n_distinct),
        # on one column "diag" fits the same modes as "full" (checked to 3
        # decimals), without a Cholesky factorisation per component: ~2x faster
        covariance_type="diag",
        weight_concentration_prior_type="dirichlet_process",
        weight_concentration_prior=1e-3,
        max_iter=_BGM_MAX_ITER,
        n_init=1,
        random_state=int(rng.integers(2**31 - 1)),
    )
    # threadpoolctl ships with scikit-learn; on one column of <= 500 rows extra
    # OpenMP threads in the k-means initialisation only spin (3x slower when the
    # cores are busy), so the mixture runs single-threaded.
    with warnings.catch_warnings(), threadpool_limits(1, user_api="openmp"):
        # a mixture that stops at max_iter still gives usable modes
        warnings.simplefilter("ignore", ConvergenceWarning)
        # on standardized values: the mixture's covariance floor (reg_covar, 1e-6)
        # would otherwise swamp a column of magnitude 1e-12 and its priors
        # misbehave at 1e12
        mixture.fit(((values - center) / scale).reshape(-1, 1))
    keep = mixture.weights_ > _MIN_MODE_WEIGHT
    if not keep.any():
        keep = mixture.weights_ == mixture.weights_.max()
    means = mixture.means_.ravel()[keep] * scale + center
    stds = np.sqrt(mixture.covariances_.ravel()[keep]) * scale
    # a floor on the spread: a mode on a single repeated value has std ~ 0
    stds = np.maximum(stds, 1e-3 * (info.upper - info.lower))
    weights = mixture.weights_[keep] / mixture.weights_[keep].sum()
    order = np.argsort(means)
    info.means = means[order].tolist()
    info.stds = stds[order].tolist()
    info.log_weights = np.log(weights[order]).tolist()


def modes_of(info: ColumnInfo, values: np.ndarray) -> np.ndarray:
    """The most probable mixture component of each value."""
    means = np.asarray(info.means)
    stds = np.asarray(info.stds)
    z = (values[:, None] - means[None, :]) / stds[None, :]
    log_post = np.asarray(info.log_weights)[None, :] - np.log(stds)[None, :] - 0.5 * z * z
    # a mode that would clip the value is chosen only when no mode can encode it
    log_post = log_post - 1e12 * (np.abs(z) > 4 * ALPHA_BOUND)
    return np.argmax(log_post, axis=1)


def cover_outliers(info: ColumnInfo, values: np.ndarray) -> None:
    """Add modes for values that no mode can encode, so that encoding loses none.

    A value more than ``4 * 0.99`` standard deviations from every mode would be
    clipped onto the nearest one: a rare outlier whose mixture component was
    dropped as negligible, a far tail, or a value left out of the mixture's row
    subsample. Each round gives the farthest such value, and the others on the
    same side of the same mode, a mode that spans them.
    """
    for _ in range(_MAX_EXTRA_MODES):
        means, stds = np.asarray(info.means), np.asarray(info.stds)
        modes = modes_of(info, values)
        alpha = (values - means[modes]) / (4 * stds[modes])
        if np.abs(alpha).max() <= ALPHA_BOUND:
            return
        worst = int(np.argmax(np.abs(alpha)))
        group = values[
            (modes == modes[worst])
            & (np.abs(alpha) > ALPHA_BOUND)
            & (np.sign(alpha) == np.sign(alpha[worst]))
        ]
        low, high = float(group.min()), float(group.max())
        floor = 1e-3 * (info.upper - info.lower)
        means = np.append(means, (low + high) / 2)
        stds = np.append(stds, max((high - low) / (8 * ALPHA_BOUND) * 1.01, floor))
        log_weights = np.append(info.log_weights, np.log(len(group) / len(values)))
        order = np.argsort(means)
        info.means = means[order].tolist()
        info.stds = stds[order].tolist()
        info.log_weights = log_weights[order].tolist()
