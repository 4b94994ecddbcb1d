"""Images as the estimator receives them (a stack in memory or a torch Dataset), and back.

:class:`CheckedImages` carries checked images to the estimator and puts
synthetic ones into the caller's container, layout, dtype and value range
(:func:`restore_images`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..encoders.image import DatasetImages, ImageInput, check_images, is_image_stack

__all__ = [
    "CheckedImages",
    "check_image_data",
    "concat_images",
    "is_image_data",
    "restore_images",
]


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

    def restore(self, samples: torch.Tensor) -> Any:
        """Synthetic images in the caller's format (see :func:`restore_images`)."""
        return restore_images(samples, self.info)

    def join(self, restored: Any) -> Any:
        """The caller's images followed by the restored synthetic ones."""
        return concat_images(self.original, restored)


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


def _from_nchw(x: torch.Tensor, layout: str) -> torch.Tensor:
    if layout == "NHW":
        return x[:, 0]
    if layout == "NHWC":
        return x.permute(0, 2, 3, 1)
    return x


def restore_images(x: torch.Tensor, info: ImageInput) -> Any:
    """Model output (``(N, C, H, W)`` in ``[-1, 1]``, caller's size) in the caller's format."""
    x = x.detach().float().cpu().clamp(-1.0, 1.0)
    if info.value_range == "byte":
        x = torch.round((x + 1.0) * 127.5)
    elif info.value_range == "unit":
        x = (x + 1.0) / 2.0
    x = _from_nchw(x, info.layout).contiguous()
    if info.container == "torch":
        return x.to(dtype=getattr(torch, info.dtype), device=info.torch_device)
    return x.numpy().astype(np.dtype(info.dtype), copy=False)


def concat_images(original: Any, new: Any) -> Any:
    """The caller's images followed by synthetic ones, in the caller's container."""
    if isinstance(original, torch.Tensor):
        return torch.cat([original, new.to(device=original.device, dtype=original.dtype)])
    return np.concatenate([original, new.astype(original.dtype, copy=False)])
