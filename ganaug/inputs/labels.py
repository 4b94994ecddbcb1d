"""Checks of the class labels the caller passes, and labels <-> class indices.

Every check raises ``ValueError`` or ``TypeError`` with a message that names the
problem and the fix, and none of them modifies its input.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._scalars import plain

__all__ = [
    "check_labels",
    "caller_stacklevel",
    "check_labels_early",
    "class_counts",
    "class_indices",
    "encode_labels",
    "random_rows_per_class",
    "request_indices",
    "sample_counts",
    "warn_tiny_classes",
]

# Classes with fewer real rows than this get a warning: see GANAugmenter's docstring.
_TINY_CLASS = 3


def check_labels(y: Any, n_samples: int) -> np.ndarray:
    """A 1-D label array of the right length, without NaN."""
    if y is None:
        raise ValueError(
            "GANAugmenter requires y to be passed, but the target y is None: it learns one "
            "generator per class label."
        )
    y_arr = np.asarray(y)
    if y_arr.ndim == 2 and y_arr.shape[1] == 1:
        y_arr = y_arr.ravel()
    if y_arr.ndim != 1:
        raise ValueError(f"y must be 1-D (one label per row), got shape {y_arr.shape}.")
    if len(y_arr) != n_samples:
        raise ValueError(
            f"X and y have different lengths: X has {n_samples} rows, y has {len(y_arr)} labels."
        )
    if len(y_arr) and pd.isna(pd.Series(y_arr, dtype=object)).any():
        raise ValueError(
            "y contains missing labels (NaN or None); drop those rows or give them a class."
        )
    if y_arr.dtype.kind == "O":
        kinds = {type(v).__name__ for v in y_arr.tolist()}
        if len(kinds) > 1 and "str" in kinds:
            raise TypeError(
                f"y mixes strings with other types ({sorted(kinds)}); labels must all be of "
                "one type."
            )
    return y_arr


def check_labels_early(y: Any) -> None:
    """Our message for missing or mixed-type labels, before scikit-learn's own checks.

    ``fit_resample`` calls it before imbalanced-learn's validation, whose messages
    for these cases do not say what to do; other labels are left to that validation.
    """
    if y is None:
        check_labels(y, 0)
        return
    y_arr = np.asarray(y)
    if (
        y_arr.ndim == 1
        and len(y_arr)
        and (y_arr.dtype.kind == "O" or pd.isna(pd.Series(y_arr, dtype=object)).any())
    ):
        check_labels(y_arr, len(y_arr))


def encode_labels(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted classes of checked labels ``y`` and the class index of each label.

    Raises ``TypeError`` for labels that cannot be sorted and ``ValueError`` for a
    single class: over-sampling needs at least two.
    """
    try:
        classes, y_idx = np.unique(y, return_inverse=True)
    except TypeError as exc:
        raise TypeError(f"y holds labels that cannot be compared with each other: {exc}") from exc
    if len(classes) < 2:
        raise ValueError(
            f"y has a single class ({classes[0]!r}); over-sampling needs at least two."
        )
    return classes, y_idx


def random_rows_per_class(y_idx: np.ndarray, cap: int, seed: int) -> np.ndarray:
    """At most ``cap`` random rows of each class in ``y_idx``, in row order.

    What a bounded read of a Dataset takes: reading in row order keeps a file's
    reads moving forward.

    >>> random_rows_per_class(np.array([0, 0, 0, 1]), 2, seed=0).tolist()
    [0, 2, 3]
    """
    rng = np.random.default_rng(seed)
    per_class = [rng.permutation(np.flatnonzero(y_idx == c))[:cap] for c in np.unique(y_idx)]
    return np.sort(np.concatenate(per_class))


def class_counts(classes: np.ndarray, y_idx: np.ndarray) -> dict[Any, int]:
    """``{class label: number of samples}`` from the class index of each sample.

    >>> class_counts(np.array(["a", "b"]), np.array([0, 1, 1]))
    {'a': 1, 'b': 2}
    """
    counts = np.bincount(y_idx, minlength=len(classes))
    return {plain(c): int(n) for c, n in zip(classes, counts)}


def class_indices(labels: Iterable[Any], classes: np.ndarray, name: str = "y") -> np.ndarray:
    """The index in ``classes`` of each label in ``labels``.

    Parameters
    ----------
    labels : array-like or iterable
        Class labels, of the type of ``classes`` (numpy or plain Python scalars).
    classes : ndarray
        The fitted classes, sorted (as ``np.unique`` returns them).
    name : str, default="y"
        What ``labels`` is called in the error message.

    Returns
    -------
    ndarray of int64

    Raises
    ------
    ValueError
        If a label is not one of ``classes``.
    """
    if isinstance(labels, np.ndarray) and _same_kind(labels.dtype, classes.dtype):
        # the fast path for large label arrays: classes are sorted
        idx = np.clip(np.searchsorted(classes, labels), 0, max(len(classes) - 1, 0))
        if len(classes) and np.array_equal(classes[idx], labels):
            return idx.astype(np.int64)
    values = labels.tolist() if isinstance(labels, np.ndarray) else [plain(v) for v in labels]
    index_of = {plain(c): i for i, c in enumerate(classes)}
    unknown = sorted({v for v in values if v not in index_of}, key=str)
    if unknown:
        raise ValueError(
            f"{name} holds labels the augmenter was not fitted on: {unknown[:5]}; "
            f"known classes are {list(index_of)}."
        )
    return np.array([index_of[v] for v in values], dtype=np.int64)


def request_indices(counts: Mapping[Any, int], classes: np.ndarray) -> np.ndarray:
    """The class index of each sample of a ``{class label: count}`` request, in its order."""
    return np.repeat(
        class_indices(list(counts), classes),
        np.fromiter(counts.values(), dtype=np.int64, count=len(counts)),
    )


def _same_kind(a: np.dtype, b: np.dtype) -> bool:
    """Both numeric or both strings: dtypes that ``searchsorted`` compares by value."""
    return (a.kind in "biuf" and b.kind in "biuf") or (a.kind in "US" and b.kind in "US")


def sample_counts(
    n_samples: int | Mapping[Any, int], y: Any, classes: np.ndarray
) -> dict[Any, int]:
    """The ``{class: count}`` that :meth:`GANAugmenter.sample` was asked for."""
    known = {plain(c) for c in classes}
    if isinstance(n_samples, Mapping):
        if y is not None:
            raise TypeError(
                "Give either a {class: count} dict or n_samples with y=class, not both."
            )
        request = dict(n_samples)
    else:
        if isinstance(n_samples, bool) or not isinstance(n_samples, int | np.integer):
            raise TypeError(
                f"n_samples must be an int or a {{class: count}} dict, got {n_samples!r}."
            )
        if n_samples < 0:
            raise ValueError(f"n_samples is negative ({n_samples}); ask for 0 or more samples.")
        if y is None:
            # no class given: an even split over the classes, remainder to the first ones
            # in `classes` order (not the set's, which varies with string hashing)
            base, extra = divmod(int(n_samples), len(classes))
            request = {c: base + (i < extra) for i, c in enumerate(classes.tolist())}
        else:
            request = {y: n_samples}
    out: dict[Any, int] = {}
    for cls, count in request.items():
        key = plain(cls)
        if key not in known:
            raise ValueError(
                f"Class {cls!r} was not seen during fit; known classes are "
                f"{sorted(known, key=str)}."
            )
        if isinstance(count, bool) or not isinstance(count, int | np.integer):
            raise TypeError(f"The count for class {cls!r} must be an int, got {count!r}.")
        if count < 0:
            raise ValueError(f"The count for class {cls!r} is negative ({count}); use 0 or more.")
        out[key] = int(count)
    return out


def warn_tiny_classes(classes: np.ndarray, counts: np.ndarray) -> None:
    """Warn, at the user's line, about classes with fewer than 3 rows (``counts``)."""
    tiny = [plain(c) for c, n in zip(classes, counts) if n < _TINY_CLASS]
    if tiny:
        warnings.warn(
            f"Classes {tiny} have fewer than {_TINY_CLASS} rows. Their synthetic rows come "
            "from the GAN without moment matching and stay close to those few rows; "
            "consider collecting more, or RandomOverSampler for exact copies.",
            UserWarning,
            stacklevel=caller_stacklevel(),
        )


def caller_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the user's line.

    Counted for a ``warnings.warn`` in the caller of this function: frames of
    ganaug, imbalanced-learn and scikit-learn are skipped, so ``fit``,
    ``fit_resample`` and a Pipeline step all point at the user's own call.
    """
    frame = sys._getframe(2)  # the frame that called the function that warns
    level = 2
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] in {
        "ganaug",
        "imblearn",
        "sklearn",
    }:
        frame = frame.f_back
        level += 1
    return level
