"""What a table's column is, and how decoded values return to its dtype.

:class:`ColumnInfo` holds what the encoder learned about a column (plain values,
saved as JSON), :class:`Span` a slice of the encoded matrix, :func:`column_kind`
decides whether a column is modelled as numbers or as categories, and
``restore_*`` turn decoded numbers and category codes back into the column's
values: clipped to the observed range, snapped to the column's value grid,
rounded for integer dtypes, in the original dtype.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .grids import Grid, snap
from .heaping import Heaping, heap

__all__ = [
    "ColumnInfo",
    "Span",
    "column_dtype",
    "column_kind",
    "grid_values",
    "restore_categorical",
    "restore_continuous",
]


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
    # the value grid (see encoders/grids.py): observed values, or a step and offset
    snap_values: list[float] | None = None
    grid_step: float | None = None
    grid_offset: float = 0.0
    # the shares of values per number of decimals (see encoders/heaping.py), or None
    heaping: dict[str, Any] | None = None
    # categorical
    categories: list[Any] = field(default_factory=list)
    dtype_categories: list[Any] | None = None
    ordered: bool = False

    @property
    def n_modes(self) -> int:
        return len(self.means)

    @property
    def grid(self) -> Grid | None:
        """Where decoded values are snapped to, or None."""
        if self.snap_values is not None or self.grid_step is not None:
            return Grid(self.grid_step, self.grid_offset, self.snap_values)
        return None

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


def column_dtype(info: ColumnInfo) -> Any:
    """The pandas or numpy dtype a decoded column is restored to."""
    if info.dtype == "category":
        return pd.CategoricalDtype(info.dtype_categories, ordered=info.ordered)
    return pd.api.types.pandas_dtype(info.dtype)


def grid_values(
    info: ColumnInfo, values: np.ndarray, uniforms: np.ndarray | None = None
) -> np.ndarray:
    """A continuous column's values clipped to its range and snapped to its grid; NaN kept.

    With ``uniforms`` (one draw in ``[0, 1)`` per value), a heaped column's values
    are then written with the numbers of decimals they draw
    (:func:`ganaug.encoders.heaping.heap`); a heaped value stays where it is when
    snapped again.
    """
    if info.n_modes < 1:
        return values
    missing = np.isnan(values)
    values = snap(np.clip(values, info.lower, info.upper), info.grid, info.lower, info.upper)
    if info.is_integer:
        values = np.round(values)
    heaping = getattr(info, "heaping", None)  # None: pickled before heaping
    if heaping is not None and uniforms is not None:
        values = heap(values, Heaping(**heaping), uniforms, info.lower, info.upper)
    return np.where(missing, np.nan, values)


def restore_continuous(info: ColumnInfo, values: np.ndarray) -> pd.Series | np.ndarray:
    values = grid_values(info, values)
    missing = np.isnan(values)
    dtype = column_dtype(info)
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


def restore_categorical(info: ColumnInfo, codes: np.ndarray) -> Any:
    lookup = np.empty(len(info.categories) + 1, dtype=object)
    lookup[: len(info.categories)] = info.categories
    lookup[-1] = None
    if not info.categories:
        codes = np.full(len(codes), 0)
        lookup = np.array([None], dtype=object)
    values = lookup[np.clip(codes, 0, len(lookup) - 1)]
    dtype = column_dtype(info)
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Categorical(values, dtype=dtype)
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        if dtype.kind == "f":
            return np.array([np.nan if v is None else v for v in values], dtype=dtype)
        return values.astype(dtype)
    if isinstance(dtype, np.dtype):  # object
        return values
    return pd.array(values.tolist(), dtype=dtype)
