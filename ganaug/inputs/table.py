"""The caller's table: checked before any training, and restored around synthetic rows.

Every check here raises ``ValueError`` or ``TypeError`` with a message that
names the problem and the fix, and none of them modifies its input.
:class:`CheckedTable` carries a checked table to the estimator and puts
synthetic rows back into the caller's container (:func:`restore_table`).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from ..encoders.tabular import column_kind

__all__ = [
    "CheckedTable",
    "TableInput",
    "check_same_columns",
    "check_table",
    "resolve_categorical",
    "restore_table",
    "synthetic_index",
]


@dataclass
class TableInput:
    """How the caller's table looked, so that output can look the same."""

    is_frame: bool
    columns: list[Hashable]
    dtype: Any = None  # ndarray dtype when not a DataFrame
    index_is_integer: bool = True
    categorical: list[Hashable] = field(default_factory=list)


class CheckedTable:
    """A checked table, as the estimator trains on it, and the caller's own ``X``.

    Parameters
    ----------
    frame : DataFrame
        The table the model reads (the caller's DataFrame itself, or a view of
        the ndarray).
    original : DataFrame or ndarray
        The caller's ``X``, returned first by ``fit_resample``.
    info : TableInput
        How ``X`` looked; the estimator keeps it to restore later samples.
    """

    def __init__(self, frame: pd.DataFrame, original: Any, info: TableInput) -> None:
        self.frame = frame
        self.original = original
        self.info = info

    def __len__(self) -> int:
        return len(self.frame)

    def restore(self, samples: pd.DataFrame) -> pd.DataFrame | np.ndarray:
        """Synthetic rows in the caller's container (see :func:`restore_table`)."""
        return restore_table(samples, self.info)

    def join(self, restored: pd.DataFrame | np.ndarray) -> pd.DataFrame | np.ndarray:
        """The caller's rows followed by the restored synthetic ones.

        A DataFrame keeps its index; the synthetic rows, which are ``restored``
        itself (relabelled in place, it is a fresh frame), get labels from
        :func:`synthetic_index`.
        """
        if self.info.is_frame:
            restored.index = synthetic_index(self.original.index, len(restored))
            return pd.concat([self.original, restored], axis=0)
        return np.concatenate([self.original, restored], axis=0)


def restore_table(samples: pd.DataFrame, info: TableInput) -> pd.DataFrame | np.ndarray:
    """Synthetic rows as the model returns them, in the container ``info`` describes.

    A DataFrame comes back as it is (the model already gives the caller's
    columns and dtypes); for an ndarray, an ndarray of the fitted dtype.
    """
    if info.is_frame:
        return samples
    return samples.to_numpy(dtype=info.dtype)


def synthetic_index(index: pd.Index, n: int) -> pd.Index:
    """Index labels for ``n`` synthetic rows that cannot collide with ``index``."""
    if pd.api.types.is_integer_dtype(index.dtype):
        start = int(index.max()) + 1 if len(index) else 0
        return pd.RangeIndex(start, start + n)
    return pd.Index([f"synthetic-{i}" for i in range(n)], dtype=object)


def _describe(X: Any) -> str:
    return f"{type(X).__module__}.{type(X).__qualname__}"


def as_array_or_frame(X: Any) -> np.ndarray | pd.DataFrame:
    """Reject sparse and non-array input; lists become ndarrays. Never copies a frame."""
    if sparse.issparse(X):
        raise TypeError(
            "X is a sparse matrix, which GANAugmenter does not support: the GAN models "
            "dense values. Pass X.toarray() if it fits in memory."
        )
    if isinstance(X, pd.DataFrame):
        return X
    if isinstance(X, pd.Series):
        raise ValueError("X is a pandas Series (one column); pass a 2-D table, e.g. X.to_frame().")
    if X is None or isinstance(X, str | bytes | int | float):
        raise TypeError(f"X must be a 2-D array-like or a pandas DataFrame, got {_describe(X)}.")
    try:
        arr = np.asarray(X)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(
            f"X could not be read as an array ({exc}); rows must be equally long."
        ) from exc
    if arr.dtype.kind == "O" and arr.ndim == 1 and len(arr) and isinstance(arr[0], list | tuple):
        raise ValueError("X has rows of different lengths; every row must have the same length.")
    return arr


def check_table(X: Any, categorical_features: Any) -> tuple[pd.DataFrame, TableInput]:
    """Validate a 2-D table and view it as a DataFrame (no copy of a DataFrame).

    Parameters
    ----------
    X : ndarray, DataFrame or array-like of shape (n_samples, n_features)
    categorical_features : None, array-like of indices, names or a boolean mask

    Returns
    -------
    frame : DataFrame
        The caller's DataFrame itself, or a DataFrame view of the ndarray.
    info : TableInput
    """
    X = as_array_or_frame(X)
    if isinstance(X, pd.DataFrame):
        _check_shape(X.shape)
        # X.dtypes, not X[c]: with duplicate names X[c] is a DataFrame
        sparse_columns = [c for c, d in X.dtypes.items() if isinstance(d, pd.SparseDtype)]
        if sparse_columns:
            raise TypeError(
                f"X has sparse columns {sparse_columns[:5]}, which GANAugmenter does not "
                "support: the GAN models dense values. Pass X.sparse.to_dense()."
            )
        duplicated = X.columns[X.columns.duplicated()].unique().tolist()
        if duplicated:
            raise ValueError(f"X has duplicate column names {duplicated}; rename them first.")
        frame = X
        info = TableInput(
            is_frame=True,
            columns=list(X.columns),
            index_is_integer=pd.api.types.is_integer_dtype(X.index.dtype),
        )
    else:
        if X.ndim != 2:
            raise ValueError(
                f"X must be 2-D (n_samples, n_features) for the tabular model, got shape "
                f"{X.shape}. For images pass (N,H,W), (N,H,W,C) or (N,C,H,W) with "
                "model='image' or 'auto'; for a single feature use X.reshape(-1, 1)."
            )
        _check_shape(X.shape)
        if X.dtype.kind in "mM":
            raise TypeError(
                "X holds datetimes; convert them to numbers first, e.g. seconds since an "
                "epoch with X.astype('int64') // 10**9."
            )
        if X.dtype.kind == "c":
            # scikit-learn's wording, which its common checks look for
            raise ValueError(
                "Complex data not supported: X holds complex numbers; split them into real "
                "and imaginary columns."
            )
        if X.dtype.kind not in "biufO" and X.dtype.kind not in "US":
            raise TypeError(f"X has unsupported dtype {X.dtype}.")
        info = TableInput(is_frame=False, columns=list(range(X.shape[1])), dtype=X.dtype)
        frame = pd.DataFrame(X, copy=False)
    cat_columns = resolve_categorical(categorical_features, info.columns)
    info.categorical = cat_columns
    if not info.is_frame:
        frame = _ndarray_frame(frame, X, cat_columns)
    for name in frame.columns:
        column_kind(frame[name], name in cat_columns)  # raises TypeError naming the column
        col = frame[name]
        if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
            values = col.to_numpy(dtype=np.float64, na_value=np.nan)
            if np.isinf(values).any():
                raise ValueError(
                    f"Column {name!r} of X contains inf; replace it with a finite value or NaN "
                    "(NaN is modelled as missing)."
                )
    return frame, info


def _check_shape(shape: tuple[int, ...]) -> None:
    """At least one row and one column, in scikit-learn's wording."""
    if shape[0] == 0:
        raise ValueError(
            f"X is empty: 0 sample(s) (shape={shape}) while a minimum of 1 is required; "
            "at least one sample per class is needed."
        )
    if shape[1] == 0:
        raise ValueError(
            f"X has no columns: 0 feature(s) (shape={shape}) while a minimum of 1 is required."
        )


def _ndarray_frame(frame: pd.DataFrame, X: np.ndarray, categorical: list[Hashable]) -> pd.DataFrame:
    """Numeric columns of an object or string ndarray become floats, or an error."""
    if X.dtype.kind in "biuf":
        return frame
    columns = {}
    for j in frame.columns:
        col = frame[j]
        if j in categorical:
            columns[j] = col.astype(object)
            continue
        try:
            columns[j] = pd.to_numeric(col.astype(object), errors="raise").astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"X is a non-numeric ndarray and column {j} holds values that are not numbers "
                f"(e.g. {col.iloc[0]!r}). Name the categorical columns with "
                "categorical_features=[...], or pass a pandas DataFrame whose dtypes say it."
            ) from exc
    return pd.DataFrame(columns)


def resolve_categorical(categorical_features: Any, columns: list[Hashable]) -> list[Hashable]:
    """Column names from indices, names or a boolean mask, as SMOTENC accepts them."""
    if categorical_features is None:
        return []
    values = np.asarray(categorical_features)
    if values.ndim != 1:
        raise ValueError(
            "categorical_features must be a 1-D list of column indices, names or a boolean "
            f"mask, got {categorical_features!r}."
        )
    if values.dtype.kind == "b":
        if len(values) != len(columns):
            raise ValueError(
                f"categorical_features is a boolean mask of length {len(values)}, but X has "
                f"{len(columns)} columns."
            )
        return [c for c, m in zip(columns, values) if m]
    out = []
    for v in values.tolist():
        if v in columns:
            out.append(v)
        elif isinstance(v, int) and -len(columns) <= v < len(columns):
            out.append(columns[v])
        else:
            raise ValueError(
                f"categorical_features names {v!r}, which is neither a column name nor an "
                f"index of X's {len(columns)} columns."
            )
    return out


def check_same_columns(fitted: TableInput, new: TableInput, action: str) -> None:
    """Raise ``ValueError`` unless a table has the columns the model was fitted on.

    Parameters
    ----------
    fitted, new : TableInput
        The table seen by ``fit`` and the one given now.
    action : str
        What the caller is doing, for the message (e.g. ``"continue training"``).
    """
    if list(fitted.columns) != list(new.columns):
        missing = [c for c in fitted.columns if c not in new.columns]
        extra = [c for c in new.columns if c not in fitted.columns]
        detail = (
            f"missing {missing}, unexpected {extra}"
            if missing or extra
            else "same columns in another order"
        )
        raise ValueError(
            f"Cannot {action}: X has other columns than the model was fitted on ({detail}); "
            f"it was fitted on {list(fitted.columns)}."
        )
