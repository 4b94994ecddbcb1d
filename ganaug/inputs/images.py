"""Images as the estimator receives them: a stack in memory or a torch Dataset."""

from __future__ import annotations

from typing import Any

import torch

from ..encoders.image import DatasetImages, ImageInput, check_images, is_image_stack

__all__ = ["CheckedImages", "check_image_data", "is_image_data"]


def is_image_data(X: Any) -> bool:
    """True for what ``model="auto"`` trains the image model on."""
    from torch.utils.data import Dataset

    return is_image_stack(X) or isinstance(X, Dataset)


class CheckedImages:
    """What the estimator's ``_check_X_y`` hands on for images.

    ``images`` is a float32 ``(N, C, H, W)`` tensor in ``[-1, 1]`` for in-memory
    input; ``stream`` the :class:`DatasetImages` for a torch Dataset.
    """

    def __init__(
        self,
        images: torch.Tensor | None,
        stream: DatasetImages | None,
        original: Any,
        info: ImageInput,
    ) -> None:
        self.images = images
        self.stream = stream
        self.original = original
        self.info = info

    def __len__(self) -> int:
        return len(self.stream) if self.stream is not None else len(self.images)


def check_image_data(X: Any, y: Any, image_layout: str) -> tuple[CheckedImages, Any]:
    """Read images (stack or Dataset) and return them with the raw labels to check."""
    from torch.utils.data import Dataset

    if isinstance(X, Dataset) and not is_image_stack(X):
        if y is not None:
            raise ValueError(
                "y must be None when X is a torch Dataset: the labels come from its "
                "(image, label) pairs."
            )
        stream = DatasetImages(X, image_layout)
        return CheckedImages(None, stream, X, stream.info), stream.labels
    if not is_image_stack(X):
        shape = getattr(X, "shape", None)
        raise ValueError(
            f"model='image' needs images shaped (N, H, W), (N, H, W, C) or (N, C, H, W), or "
            f"a torch Dataset of (image, label) pairs; got {type(X).__name__} of shape {shape}."
        )
    if y is None:
        raise ValueError("y is None; pass one class label per image.")
    images, info = check_images(X, image_layout)
    return CheckedImages(images, None, X, info), y
