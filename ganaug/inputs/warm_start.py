"""Whether a fitted estimator can train on (``warm_start=True``) with new data."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .images import CheckedImages
from .table import CheckedTable, check_same_columns

__all__ = ["FittedState", "check_warm_start"]


class FittedState(NamedTuple):
    """What a previous fit left, as values: the model, its type, its input and classes."""

    model: Any
    model_type: str
    input: Any
    classes: np.ndarray


_FIX = "set warm_start=False to start again on the new data."


def check_warm_start(
    fitted: FittedState, checked: CheckedTable | CheckedImages, classes: np.ndarray
) -> None:
    """Raise ``ValueError`` unless the fitted model can train on with this data.

    Parameters
    ----------
    fitted : FittedState
        What the first fit left: its model, model type, input description and classes.
    checked : CheckedTable or CheckedImages
        The new data.
    classes : ndarray
        The classes of the new labels.
    """
    if isinstance(checked, CheckedImages):
        _check_images(fitted, checked)
    else:
        _check_table(fitted, checked)
    if not np.array_equal(np.asarray(fitted.classes), classes):
        raise ValueError(
            f"warm_start=True, but y has classes {classes.tolist()} while the model was "
            f"fitted on {np.asarray(fitted.classes).tolist()}; {_FIX}"
        )
    if isinstance(checked, CheckedTable):
        fitted.model.encoder.check_compatible(checked.frame)


def _check_table(fitted: FittedState, checked: CheckedTable) -> None:
    if fitted.model_type != "tabular":
        raise ValueError(
            f"warm_start=True, but the fitted model is the {fitted.model_type} model and X "
            f"is a table; {_FIX}"
        )
    check_same_columns(fitted.input, checked.info, "continue training (warm_start=True)")


def _check_images(fitted: FittedState, checked: CheckedImages) -> None:
    if fitted.model_type != "image":
        raise ValueError(
            f"warm_start=True, but the fitted model is the {fitted.model_type} model and X "
            f"holds images; {_FIX}"
        )
    old, now = fitted.input.to_dict(), checked.info.to_dict()
    # the device only says where synthetic tensors are returned
    changed = [
        f"{k} {old[k]!r} -> {now[k]!r}" for k in old if k != "torch_device" and old[k] != now[k]
    ]
    if changed:
        raise ValueError(
            "warm_start=True, but these images differ from those the model was fitted on "
            f"({'; '.join(changed)}); {_FIX}"
        )
