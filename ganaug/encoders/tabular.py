"""Tables to model space and back.

:class:`TabularEncoder` turns a pandas DataFrame into a float32 matrix that the
tabular GAN trains on, and turns generator output back into a DataFrame with the
original column names and dtypes. It describes its output as a list of
:class:`Span` (width and activation); the generator's output heads, the
Gumbel-softmax and the decoding are all driven by that list, as in CTGAN [1]_.

- Continuous columns: mode-specific normalization. A Bayesian Gaussian mixture
  finds the modes of the column; a value is encoded as the one-hot of its mode
  plus a scalar ``(x - mean_k) / (4 std_k)`` in ``(-1, 1)``.
- Categorical columns (category, bool, strings, or numeric columns named in
  ``categorical_features``): one-hot.
- NaN: a continuous column that holds NaN gets a two-way "missing" indicator; a
  categorical column gets a "missing" category.

The encoder never touches torch: it is plain numpy and pandas.

References
----------
.. [1] L. Xu, M. Skoularidou, A. Cuesta-Infante, K. Veeramachaneni, "Modeling
   Tabular data using Conditional GAN", NeurIPS 2019.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture
from threadpoolctl import threadpool_limits

from .._scalars import plain

__all__ = ["ColumnInfo", "Span", "TabularEncoder", "column_kind"]

# BGM cost grows with rows and components; 5 modes on at most 500 rows keeps a
# 30-column table under a few seconds while still finding clear multi-modality.
_MAX_BGM_ROWS = 500
# Most columns converge or settle well before this; each iteration costs ~2 ms.
_BGM_MAX_ITER = 40
# Mode weights below this are empty components the Dirichlet prior switched off.
_MIN_MODE_WEIGHT = 0.005
# Numeric columns with at most this many distinct values, each seen on average
# at least _SNAP_MIN_REPEATS times, are snapped to observed values on decoding.
_SNAP_MAX_DISTINCT = 20
_SNAP_MIN_REPEATS = 4
# CTGAN's bound on the encoded scalar |(x - mean_k) / (4 std_k)|: tanh reaches it.
_ALPHA_BOUND = 0.99
# Most modes added for values that the mixture's modes cannot encode (outliers).
_MAX_EXTRA_MODES = 10


@dataclass(frozen=True)
class Span:
    """A slice of the encoded matrix that one generator head produces.

    Parameters
    ----------
    start : int
        First column of the slice in the encoded matrix.
    width : int
        Number of encoded columns.
    activation : {"tanh", "softmax"}
        ``tanh`` for a scalar in (-1, 1), ``softmax`` for a one-hot block.
    """

    start: int
    width: int
    activation: Literal["tanh", "softmax"]

    @property
    def stop(self) -> int:
        return self.start + self.width


@dataclass
class ColumnInfo:
    """What the encoder learned about one column; plain values only (JSON-able)."""

    name: Hashable
    kind: Literal["continuous", "categorical"]
    dtype: str
    has_nan: bool = False
    nan_rate: float = 0.0
    # continuous
    means: list[float] = field(default_factory=list)
    stds: list[float] = field(default_factory=list)
    log_weights: list[float] = field(default_factory=list)
    lower: float = 0.0
    upper: float = 0.0
    is_integer: bool = False
    snap_values: list[float] | None = None
    # categorical
    categories: list[Any] = field(default_factory=list)
    dtype_categories: list[Any] | None = None
    ordered: bool = False

    @property
    def n_modes(self) -> int:
        return len(self.means)

    @property
    def is_constant(self) -> bool:
        """A continuous column with a single observed value (or none at all)."""
        return self.kind == "continuous" and (
            self.n_modes == 0 or (self.n_modes == 1 and self.upper == self.lower)
        )


def _inferred_object_kind(series: pd.Series) -> str:
    return pd.api.types.infer_dtype(series, skipna=True)


def column_kind(series: pd.Series, categorical: bool) -> Literal["continuous", "categorical"]:
    """Decide how a column is modelled, or raise a TypeError naming it (ValueError for complex).

    Parameters
    ----------
    series : pandas.Series
        The column.
    categorical : bool
        Whether the user named this column in ``categorical_features``.
    """
    dtype = series.dtype
    name = series.name
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype):
        raise TypeError(
            f"Column {name!r} holds datetimes ({dtype}); GANAugmenter models numbers and "
            "categories. Convert it first, e.g. to seconds since an epoch "
            "(`df[col].astype('int64') // 10**9`) or to year/month/day columns."
        )
    if pd.api.types.is_timedelta64_dtype(dtype):
        raise TypeError(
            f"Column {name!r} holds timedeltas; convert it to a number of seconds first "
            "(`df[col].dt.total_seconds()`)."
        )
    if pd.api.types.is_complex_dtype(dtype):
        # a ValueError in scikit-learn's wording, as check_array raises for complex input
        raise ValueError(
            f"Complex data not supported: column {name!r} holds complex numbers; split it "
            "into real and imaginary columns."
        )
    if pd.api.types.is_numeric_dtype(dtype):
        return "categorical" if categorical else "continuous"
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        inferred = _inferred_object_kind(series)
        if inferred in ("string", "boolean", "empty"):
            return "categorical"
        if inferred in ("integer", "floating", "mixed-integer-float"):
            return "categorical" if categorical else "continuous"
        raise TypeError(
            f"Column {name!r} has dtype object holding {inferred!r} values; each object "
            "column must hold only strings (or only numbers). Convert it, e.g. with "
            "`df[col].astype(str)` for labels or `pd.to_numeric(df[col])` for numbers."
        )
    raise TypeError(
        f"Column {name!r} has unsupported dtype {dtype}; convert it to numbers, or to "
        "strings to model it as categories (`df[col].astype(str)`)."
    )


def _dtype_from_info(info: ColumnInfo) -> Any:
    if info.dtype == "category":
        return pd.CategoricalDtype(info.dtype_categories, ordered=info.ordered)
    return pd.api.types.pandas_dtype(info.dtype)


class TabularEncoder:
    """Encode a DataFrame for the tabular GAN and decode generator output.

    Parameters
    ----------
    categorical_features : sequence of column names, optional
        Numeric columns to treat as categories.
    max_modes : int, default=5
        Most mixture components per continuous column.
    random_state : int, default=0
        Seed of the Bayesian Gaussian mixtures and of the row subsample they see.

    Attributes
    ----------
    columns_ : list of ColumnInfo
        One entry per input column, in order.
    spans_ : list of Span
        The encoded layout, in order.
    n_encoded_ : int
        Width of the encoded matrix.
    """

    def __init__(
        self,
        categorical_features: Sequence[Hashable] = (),
        max_modes: int = 5,
        random_state: int = 0,
    ) -> None:
        self.categorical_features = list(categorical_features)
        self.max_modes = max_modes
        self.random_state = random_state

    # -- fitting -------------------------------------------------------------------

    def fit(self, frame: pd.DataFrame) -> TabularEncoder:
        """Learn each column's kind, modes, categories and range."""
        rng = np.random.default_rng(self.random_state)
        forced = set(self.categorical_features)
        self.columns_ = [
            self._fit_column(frame[name], name in forced, rng) for name in frame.columns
        ]
        self.spans_ = self._layout()
        self.n_encoded_ = self.spans_[-1].stop if self.spans_ else 0
        return self

    def _fit_column(
        self, series: pd.Series, categorical: bool, rng: np.random.Generator
    ) -> ColumnInfo:
        kind = column_kind(series, categorical)
        dtype = series.dtype
        info = ColumnInfo(
            name=series.name,
            kind=kind,
            dtype="category" if isinstance(dtype, pd.CategoricalDtype) else str(dtype),
        )
        missing = series.isna().to_numpy()
        info.has_nan = bool(missing.any())
        info.nan_rate = float(missing.mean()) if len(series) else 0.0
        if isinstance(dtype, pd.CategoricalDtype):
            info.dtype_categories = dtype.categories.tolist()
            info.ordered = bool(dtype.ordered)
        if kind == "categorical":
            observed = series[~missing]
            if isinstance(dtype, pd.CategoricalDtype):
                # keep the declared order, but only categories that were seen
                seen = set(observed.unique().tolist())
                info.categories = [c for c in dtype.categories.tolist() if c in seen]
            else:
                values = pd.unique(observed.to_numpy(dtype=object))
                try:
                    info.categories = sorted(values.tolist())
                except TypeError:
                    info.categories = values.tolist()
            info.categories = [plain(c) for c in info.categories]
            return info
        values = pd.to_numeric(series[~missing], errors="raise").to_numpy(dtype=np.float64)
        if values.size == 0:
            info.lower = info.upper = float("nan")
            return info
        if not np.all(np.isfinite(values)):
            raise ValueError(
                f"Column {series.name!r} contains inf; replace it with a finite value or NaN."
            )
        info.lower, info.upper = float(values.min()), float(values.max())
        info.is_integer = bool(
            pd.api.types.is_integer_dtype(dtype)
            or (pd.api.types.is_object_dtype(dtype) and np.all(np.mod(values, 1) == 0))
        )
        distinct = np.unique(values)
        if len(distinct) <= _SNAP_MAX_DISTINCT and len(distinct) * _SNAP_MIN_REPEATS <= len(values):
            info.snap_values = distinct.tolist()
        if len(distinct) == 1:
            info.means, info.stds, info.log_weights = [info.lower], [1.0], [0.0]
            return info
        self._fit_modes(info, values, rng)
        _cover_outliers(info, values)
        return info

    def _fit_modes(self, info: ColumnInfo, values: np.ndarray, rng: np.random.Generator) -> None:
        if len(values) > _MAX_BGM_ROWS:
            values = rng.choice(values, _MAX_BGM_ROWS, replace=False)
        n_distinct = len(np.unique(values))
        center = float(values.mean())
        scale = float(values.std()) or 1.0
        mixture = BayesianGaussianMixture(
            n_components=min(self.max_modes, n_distinct),
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

    def _layout(self) -> list[Span]:
        spans: list[Span] = []
        start = 0

        def add(width: int, activation: Literal["tanh", "softmax"]) -> None:
            nonlocal start
            spans.append(Span(start, width, activation))
            start += width

        for info in self.columns_:
            if info.kind == "categorical":
                width = len(info.categories) + int(info.has_nan)
                if width > 1:
                    add(width, "softmax")
                continue
            if not info.is_constant:
                add(1, "tanh")
                if info.n_modes > 1:
                    add(info.n_modes, "softmax")
            if info.has_nan and info.nan_rate < 1.0:
                add(2, "softmax")
        return spans

    def missing_logits(self) -> list[tuple[str, int, int, int]]:
        """Where each column's "missing" logit sits in the generator's output.

        Returns
        -------
        list of (name, start, stop, missing)
            Per column that can come out NaN: its name, the span of its softmax
            block (``start:stop``) and the index of the logit that means NaN
            (the last category of a categorical column, the second of a
            continuous column's two-way indicator). Columns that are always NaN,
            or NaN-free, are not listed.
        """
        out: list[tuple[str, int, int, int]] = []
        spans = iter(self.spans_)
        for info in self.columns_:
            if info.kind == "categorical":
                width = len(info.categories) + int(info.has_nan)
                if width > 1:
                    span = next(spans)
                    if info.has_nan:
                        out.append((info.name, span.start, span.stop, span.stop - 1))
                continue
            if not info.is_constant:
                next(spans)
                if info.n_modes > 1:
                    next(spans)
            if info.has_nan and info.nan_rate < 1.0:
                span = next(spans)
                out.append((info.name, span.start, span.stop, span.start + 1))
        return out

    # -- encoding ------------------------------------------------------------------

    def check_compatible(self, frame: pd.DataFrame) -> None:
        """Raise ``ValueError`` when ``frame`` holds what this encoding has no place for.

        ``warm_start`` trains on with the encoding of the first fit: a column of
        another kind, a category not seen then, or NaN in a column that had none
        cannot be encoded faithfully.
        """
        forced = set(self.categorical_features)
        fix = "fit with warm_start=False to start again on the new data."
        for info in self.columns_:
            series = frame[info.name]
            kind = column_kind(series, info.name in forced)
            if kind != info.kind:
                raise ValueError(
                    f"Column {info.name!r} is {kind} now but was {info.kind} when the model "
                    f"was fitted; {fix}"
                )
            missing = series.isna().to_numpy()
            if missing.any() and not info.has_nan:
                raise ValueError(
                    f"Column {info.name!r} holds NaN, which it did not when the model was "
                    f"fitted; {fix}"
                )
            if kind == "categorical":
                unseen = series[(_category_codes(series, info.categories) < 0) & ~missing]
                if len(unseen):
                    raise ValueError(
                        f"Column {info.name!r} holds categories not seen when the model was "
                        f"fitted (e.g. {unseen.iloc[0]!r}); {fix}"
                    )

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Encode a DataFrame with the fitted columns into a float32 matrix."""
        blocks: list[np.ndarray] = []
        n = len(frame)
        for info in self.columns_:
            series = frame[info.name]
            missing = series.isna().to_numpy()
            if info.kind == "categorical":
                if len(info.categories) + int(info.has_nan) <= 1:
                    continue
                codes = _category_codes(series, info.categories)
                codes = np.where(codes < 0, len(info.categories), codes)
                blocks.append(_one_hot(codes, len(info.categories) + int(info.has_nan)))
                continue
            if not info.is_constant:
                values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
                values = np.where(missing, info.means[0], values)
                modes = self._modes_of(info, values)
                means = np.asarray(info.means)[modes]
                stds = np.asarray(info.stds)[modes]
                alpha = np.clip((values - means) / (4 * stds), -_ALPHA_BOUND, _ALPHA_BOUND)
                blocks.append(alpha.reshape(n, 1))
                if info.n_modes > 1:
                    blocks.append(_one_hot(modes, info.n_modes))
            if info.has_nan and info.nan_rate < 1.0:
                blocks.append(_one_hot(missing.astype(np.int64), 2))
        if not blocks:
            return np.zeros((n, 0), dtype=np.float32)
        return np.concatenate(blocks, axis=1).astype(np.float32)

    @staticmethod
    def _modes_of(info: ColumnInfo, values: np.ndarray) -> np.ndarray:
        """The most probable mixture component of each value."""
        means = np.asarray(info.means)
        stds = np.asarray(info.stds)
        z = (values[:, None] - means[None, :]) / stds[None, :]
        log_post = np.asarray(info.log_weights)[None, :] - np.log(stds)[None, :] - 0.5 * z * z
        # a mode that would clip the value is chosen only when no mode can encode it
        log_post = log_post - 1e12 * (np.abs(z) > 4 * _ALPHA_BOUND)
        return np.argmax(log_post, axis=1)

    # -- decoding ------------------------------------------------------------------

    def decode_numeric(self, encoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First half of decoding: raw floats for continuous columns, codes for the rest.

        Returns
        -------
        continuous : ndarray of shape (n, n_continuous)
            Values before clipping, rounding and snapping; NaN where missing.
        codes : ndarray of shape (n, n_categorical)
            Index into ``categories``; ``len(categories)`` means missing.
        """
        tanh = [s.start for s in self.spans_ if s.activation == "tanh"]
        softmax = [s for s in self.spans_ if s.activation == "softmax"]
        span_codes = np.zeros((encoded.shape[0], len(softmax)), dtype=np.int64)
        for j, span in enumerate(softmax):
            span_codes[:, j] = np.argmax(encoded[:, span.start : span.stop], axis=1)
        return self.decode_parts(encoded[:, tanh], span_codes)

    def decode_parts(
        self, scalars: np.ndarray, span_codes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Like :meth:`decode_numeric`, from the tanh scalars and the category index of
        each softmax span (in span order), which is what the generator samples."""
        n = scalars.shape[0]
        scalars = np.clip(scalars, -1.0, 1.0, dtype=np.float64)
        i_tanh = i_soft = 0
        continuous: list[np.ndarray] = []
        codes: list[np.ndarray] = []
        for info in self.columns_:
            if info.kind == "categorical":
                if len(info.categories) + int(info.has_nan) > 1:
                    codes.append(span_codes[:, i_soft])
                    i_soft += 1
                else:
                    codes.append(np.zeros(n, dtype=np.int64))
                continue
            if info.is_constant:
                values = np.full(n, info.lower)
            else:
                alpha = scalars[:, i_tanh]
                i_tanh += 1
                if info.n_modes > 1:
                    modes = span_codes[:, i_soft]
                    i_soft += 1
                else:
                    modes = np.zeros(n, dtype=np.int64)
                values = alpha * 4 * np.asarray(info.stds)[modes] + np.asarray(info.means)[modes]
            if info.has_nan and info.nan_rate < 1.0:
                values = np.where(span_codes[:, i_soft] == 1, np.nan, values)
                i_soft += 1
            elif info.has_nan:
                values = np.full(n, np.nan)
            continuous.append(values)
        return (
            np.stack(continuous, axis=1) if continuous else np.zeros((n, 0)),
            np.stack(codes, axis=1) if codes else np.zeros((n, 0), dtype=np.int64),
        )

    def continuous_values(self, frame: pd.DataFrame) -> np.ndarray:
        """The continuous columns of a DataFrame as floats, NaN where missing."""
        cols = [info.name for info in self.columns_ if info.kind == "continuous"]
        if not cols:
            return np.zeros((len(frame), 0))
        return np.stack(
            [pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=np.float64) for c in cols],
            axis=1,
        )

    def to_frame(self, continuous: np.ndarray, codes: np.ndarray) -> pd.DataFrame:
        """Second half of decoding: clip, round, snap and restore every column's dtype."""
        out: list[pd.Series] = []
        i_cont = i_cat = 0
        for info in self.columns_:
            if info.kind == "continuous":
                values = _restore_continuous(info, continuous[:, i_cont])
                i_cont += 1
            else:
                values = _restore_categorical(info, codes[:, i_cat])
                i_cat += 1
            # an explicit dtype: pandas would otherwise turn object strings into `str`
            out.append(pd.Series(values, dtype=_dtype_from_info(info), copy=False))
        frame = (
            pd.concat(out, axis=1, ignore_index=True)
            if out
            else pd.DataFrame(index=range(len(codes)))
        )
        frame.columns = pd.Index([info.name for info in self.columns_])
        return frame

    def inverse_transform(self, encoded: np.ndarray) -> pd.DataFrame:
        """Decode a model-space matrix into a DataFrame with the original dtypes."""
        return self.to_frame(*self.decode_numeric(encoded))


def _cover_outliers(info: ColumnInfo, values: np.ndarray) -> None:
    """Add modes for values that no mode can encode, so that encoding loses none.

    A value more than ``4 * 0.99`` standard deviations from every mode would be
    clipped onto the nearest one: a rare outlier whose mixture component was
    dropped as negligible, a far tail, or a value left out of the mixture's row
    subsample. Each round gives the farthest such value, and the others on the
    same side of the same mode, a mode that spans them.
    """
    for _ in range(_MAX_EXTRA_MODES):
        means, stds = np.asarray(info.means), np.asarray(info.stds)
        modes = TabularEncoder._modes_of(info, values)
        alpha = (values - means[modes]) / (4 * stds[modes])
        if np.abs(alpha).max() <= _ALPHA_BOUND:
            return
        worst = int(np.argmax(np.abs(alpha)))
        group = values[
            (modes == modes[worst])
            & (np.abs(alpha) > _ALPHA_BOUND)
            & (np.sign(alpha) == np.sign(alpha[worst]))
        ]
        low, high = float(group.min()), float(group.max())
        floor = 1e-3 * (info.upper - info.lower)
        means = np.append(means, (low + high) / 2)
        stds = np.append(stds, max((high - low) / (8 * _ALPHA_BOUND) * 1.01, floor))
        log_weights = np.append(info.log_weights, np.log(len(group) / len(values)))
        order = np.argsort(means)
        info.means = means[order].tolist()
        info.stds = stds[order].tolist()
        info.log_weights = log_weights[order].tolist()


def _one_hot(codes: np.ndarray, width: int) -> np.ndarray:
    out = np.zeros((len(codes), width), dtype=np.float32)
    out[np.arange(len(codes)), codes] = 1.0
    return out


def _category_codes(series: pd.Series, categories: list[Any]) -> np.ndarray:
    values = series.astype(object).to_numpy()
    lookup = {c: i for i, c in enumerate(categories)}
    codes = np.full(len(values), -1, dtype=np.int64)
    for i, v in enumerate(values):
        if v is not None and not (isinstance(v, float) and np.isnan(v)) and v is not pd.NA:
            codes[i] = lookup.get(plain(v), -1)
    return codes


def _restore_continuous(info: ColumnInfo, values: np.ndarray) -> pd.Series | np.ndarray:
    missing = np.isnan(values)
    if info.n_modes >= 1:
        values = np.clip(values, info.lower, info.upper)
        if info.snap_values is not None:
            grid = np.asarray(info.snap_values)
            idx = np.clip(np.searchsorted(grid, values), 1, len(grid) - 1) if len(grid) > 1 else 0
            if len(grid) > 1:
                left, right = grid[idx - 1], grid[idx]
                values = np.where(values - left <= right - values, left, right)
            else:
                values = np.full_like(values, grid[0])
        if info.is_integer:
            values = np.round(values)
        values = np.where(missing, np.nan, values)
    dtype = _dtype_from_info(info)
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        return values.astype(dtype)
    if isinstance(dtype, np.dtype):
        return values.astype(dtype) if dtype.kind != "O" else _to_objects(values, info.is_integer)
    return pd.array(np.where(missing, None, values).tolist(), dtype=dtype)


def _to_objects(values: np.ndarray, is_integer: bool) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = np.nan if np.isnan(v) else (int(v) if is_integer else float(v))
    return out


def _restore_categorical(info: ColumnInfo, codes: np.ndarray) -> Any:
    lookup = np.empty(len(info.categories) + 1, dtype=object)
    lookup[: len(info.categories)] = info.categories
    lookup[-1] = None
    if not info.categories:
        codes = np.full(len(codes), 0)
        lookup = np.array([None], dtype=object)
    values = lookup[np.clip(codes, 0, len(lookup) - 1)]
    dtype = _dtype_from_info(info)
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Categorical(values, dtype=dtype)
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        if dtype.kind == "f":
            return np.array([np.nan if v is None else v for v in values], dtype=dtype)
        return values.astype(dtype)
    if isinstance(dtype, np.dtype):  # object
        return values
    return pd.array(values.tolist(), dtype=dtype)
