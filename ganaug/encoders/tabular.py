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

- Grids: a numeric column whose values lie on a grid (whole numbers, a round
  step, a few observed values) is snapped back onto it when decoded.
- Heaped decimals: a column written with mixed precision (most values to two
  decimals, some to four) has each generated value written with a number of
  decimals drawn from the real shares, when :meth:`continuous_on_grid` is given
  the draws.

The mixtures live in :mod:`ganaug.encoders.modes`, the column descriptions and
the restoring of dtypes in :mod:`ganaug.encoders.columns`, the grids in
:mod:`ganaug.encoders.grids`, the decimals in :mod:`ganaug.encoders.heaping`.
The encoder never touches torch: it is plain numpy and pandas.

References
----------
.. [1] L. Xu, M. Skoularidou, A. Cuesta-Infante, K. Veeramachaneni, "Modeling
   Tabular data using Conditional GAN", NeurIPS 2019.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import asdict
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._scalars import plain
from .columns import (
    ColumnInfo,
    Span,
    column_dtype,
    column_kind,
    grid_values,
    restore_categorical,
    restore_continuous,
)
from .grids import detect_grid
from .heaping import detect_heaping
from .modes import ALPHA_BOUND, cover_outliers, fit_modes, modes_of

__all__ = ["ColumnInfo", "Span", "TabularEncoder", "column_kind"]


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
        grid = detect_grid(values)
        if grid is not None:
            info.snap_values, info.grid_step, info.grid_offset = grid.values, grid.step, grid.offset
        heaping = detect_heaping(values, info.grid_step, info.snap_values is not None)
        info.heaping = heaping.to_dict() if heaping is not None else None
        if info.lower == info.upper:
            info.means, info.stds, info.log_weights = [info.lower], [1.0], [0.0]
            return info
        fit_modes(info, values, self.max_modes, rng)
        cover_outliers(info, values)
        return info

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

    def softmax_blocks(self) -> list[tuple[ColumnInfo, str, Span]]:
        """Each softmax span with its column and its role.

        Returns
        -------
        list of (ColumnInfo, role, Span)
            ``role`` is ``"categories"`` (a categorical column's one-hot, its
            "missing" category last when it holds NaN), ``"modes"`` (a continuous
            column's mixture component) or ``"missing"`` (a continuous column's
            two-way NaN indicator, NaN second).
        """
        out: list[tuple[ColumnInfo, str, Span]] = []
        spans = iter(self.spans_)
        for info in self.columns_:
            if info.kind == "categorical":
                if len(info.categories) + int(info.has_nan) > 1:
                    out.append((info, "categories", next(spans)))
                continue
            if not info.is_constant:
                next(spans)
                if info.n_modes > 1:
                    out.append((info, "modes", next(spans)))
            if info.has_nan and info.nan_rate < 1.0:
                out.append((info, "missing", next(spans)))
        return out

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
        return [
            (info.name, s.start, s.stop, s.stop - 1 if role == "categories" else s.start + 1)
            for info, role, s in self.softmax_blocks()
            if info.has_nan and role != "modes"
        ]

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
                modes = modes_of(info, values)
                means = np.asarray(info.means)[modes]
                stds = np.asarray(info.stds)[modes]
                alpha = np.clip((values - means) / (4 * stds), -ALPHA_BOUND, ALPHA_BOUND)
                blocks.append(alpha.reshape(n, 1))
                if info.n_modes > 1:
                    blocks.append(_one_hot(modes, info.n_modes))
            if info.has_nan and info.nan_rate < 1.0:
                blocks.append(_one_hot(missing.astype(np.int64), 2))
        if not blocks:
            return np.zeros((n, 0), dtype=np.float32)
        return np.concatenate(blocks, axis=1).astype(np.float32)

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

    @property
    def n_heaped(self) -> int:
        """How many continuous columns are heaped (see :mod:`ganaug.encoders.heaping`)."""
        infos = [info for info in self.columns_ if info.kind == "continuous"]
        return sum(getattr(info, "heaping", None) is not None for info in infos)

    def continuous_on_grid(
        self, continuous: np.ndarray, uniforms: np.ndarray | None = None
    ) -> np.ndarray:
        """Continuous values as :meth:`to_frame` writes them (clipped, on their grid), as floats.

        ``uniforms``, of shape ``(n, n_heaped)``, draw the decimals of the heaped
        columns' values (in column order); without them no value is heaped.
        """
        infos = [info for info in self.columns_ if info.kind == "continuous"]
        out = np.array(continuous, dtype=np.float64, copy=True)
        k = 0
        for j, info in enumerate(infos):
            draws = None
            if uniforms is not None and getattr(info, "heaping", None) is not None:
                draws, k = uniforms[:, k], k + 1
            out[:, j] = grid_values(info, out[:, j], draws)
        return out

    def to_frame(self, continuous: np.ndarray, codes: np.ndarray) -> pd.DataFrame:
        """Second half of decoding: clip, round, snap and restore every column's dtype."""
        out: list[pd.Series] = []
        i_cont = i_cat = 0
        for info in self.columns_:
            if info.kind == "continuous":
                values = restore_continuous(info, continuous[:, i_cont])
                i_cont += 1
            else:
                values = restore_categorical(info, codes[:, i_cat])
                i_cat += 1
            # an explicit dtype: pandas would otherwise turn object strings into `str`
            out.append(pd.Series(values, dtype=column_dtype(info), copy=False))
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

    # -- persistence (see ganaug/_persistence.py) ------------------------------------

    def get_state(self) -> dict[str, Any]:
        """The fitted encoding as plain values: settings and one dict per column."""
        return {
            "max_modes": self.max_modes,
            "random_state": self.random_state,
            "columns": [asdict(info) for info in self.columns_],
        }

    @classmethod
    def from_state(
        cls, state: dict[str, Any], categorical_features: Sequence[Hashable] = ()
    ) -> TabularEncoder:
        """Rebuild an encoder saved by :meth:`get_state`; no mixture is refitted.

        ``categorical_features`` is not in the state: the model keeps it (a warm
        start checks new data against it).
        """
        encoder = cls(categorical_features, state["max_modes"], state["random_state"])
        encoder.columns_ = [ColumnInfo(**info) for info in state["columns"]]
        encoder.spans_ = encoder._layout()
        encoder.n_encoded_ = encoder.spans_[-1].stop if encoder.spans_ else 0
        return encoder


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
