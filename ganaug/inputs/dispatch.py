"""One entry for both kinds of input: tables and images are told apart here only.

:func:`check_input` reads the caller's ``(X, y)`` into a :class:`CheckedTable`
or a :class:`CheckedImages`; both restore synthetic samples into the caller's
container (``restore``) and put them after the caller's own (``join``), so
the estimator has one path for both. :func:`restore_samples` does the same
restore from the description the estimator keeps after ``fit``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from imblearn.utils import check_target_type
from sklearn.utils.multiclass import type_of_target

from ..encoders.image import ImageInput
from .images import CheckedImages, check_image_data, is_image_data, restore_images
from .labels import check_labels
from .table import CheckedTable, TableInput, check_table, restore_table

__all__ = ["check_input", "restore_samples"]


def check_input(
    X: Any, y: Any, params: Any
) -> tuple[CheckedTable | CheckedImages, np.ndarray, bool]:
    """Check ``(X, y)`` for the model the estimator's ``model`` parameter asks for.

    Parameters
    ----------
    X, y
        What the caller passed to ``fit`` or ``fit_resample``.
    params : SimpleNamespace
        Read for ``model`` (``"auto"`` picks images for 3-D and 4-D stacks and
        torch Datasets), ``image_layout`` and ``categorical_features``.

    Returns
    -------
    checked : CheckedTable or CheckedImages
    y : ndarray
        1-D labels.
    binarize_y : bool
        Whether ``y`` was a one-vs-all (one-hot) target that imbalanced-learn
        turns back into one after resampling.
    """
    model = params.model
    if model == "image" or (model == "auto" and is_image_data(X)):
        checked, y_raw = check_image_data(X, y, params.image_layout)
        return checked, check_labels(y_raw, len(checked)), False
    if model == "tabular" and is_image_data(X):
        raise ValueError(
            f"model='tabular' needs a 2-D table, got {type(X).__name__} of shape "
            f"{getattr(X, 'shape', None)}; use model='image' (or 'auto') for images."
        )
    frame, info = check_table(X, params.categorical_features)
    y_arr = np.asarray(y) if y is not None else None
    if (
        y_arr is not None
        and y_arr.ndim == 2
        and y_arr.shape[1] > 1
        and type_of_target(y_arr) == "multilabel-indicator"
    ):
        # a one-vs-all (one-hot) target; imbalanced-learn turns it into labels;
        # any other 2-D y gets check_labels' message
        y_arr, binarize_y = check_target_type(y_arr, indicate_one_vs_all=True)
    else:
        binarize_y = False
    y_arr = check_labels(y_arr if y_arr is not None else y, len(frame))
    original = X if info.is_frame else np.asarray(X)
    return CheckedTable(frame, original, info), y_arr, binarize_y


def restore_samples(samples: Any, info: TableInput | ImageInput) -> Any:
    """Model output in the caller's container, from the input description kept by ``fit``.

    The code that :meth:`CheckedTable.restore` and :meth:`CheckedImages.restore`
    run, for samples drawn after ``fit`` (``sample``).
    """
    if isinstance(info, ImageInput):
        return restore_images(samples, info)
    return restore_table(samples, info)
