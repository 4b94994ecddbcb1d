"""Image stacks <-> the image model's space, and back.

The caller's images may be numpy arrays or torch tensors shaped ``(N, H, W)``,
``(N, H, W, C)`` or ``(N, C, H, W)``, grayscale or RGB, ``uint8`` (or another
integer dtype holding 0..255) or floating point in ``[0, 1]`` or ``[-1, 1]``.
:func:`check_images` reads them into a float32 ``(N, C, H, W)`` tensor in
``[-1, 1]`` and an :class:`ImageInput` that records how they looked;
:func:`ganaug.inputs.images.restore_images` turns model output back into the
caller's container, layout, dtype and value range. :class:`ImageResizer` maps
the caller's ``H x W`` to the square power-of-two side the convolutional
networks need, and back to the exact size.

Layout rule (``image_layout="auto"``), one for stacks and single images: a 3-D
stack is ``NHW`` (grayscale). An image's channels are its last axis when that
axis has 1 or 3 entries and the axis before height and width does not (``HWC``,
or ``NHWC`` for a 4-D stack), that axis in the opposite case (``CHW``,
``NCHW``); when both axes have 1 or 3 entries the layout is ambiguous and an
error asks for ``image_layout``. Torch tensors follow the same rule: no layout is
assumed from the container. :func:`to_hwc` applies it to one image.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

__all__ = [
    "IMAGE_LAYOUTS",
    "MAX_SIDE",
    "MIN_SIDE",
    "ImageInput",
    "ImageResizer",
    "check_image_batch",
    "check_images",
    "is_image_stack",
    "to_hwc",
]

IMAGE_LAYOUTS = ("auto", "NHW", "NHWC", "NCHW")
MIN_SIDE = 8
MAX_SIDE = 128
_CHANNELS = (1, 3)


@dataclass
class ImageInput:
    """How the caller's images looked, so that synthetic ones can look the same.

    Every field is JSON-able (``asdict`` / ``ImageInput(**d)``).
    """

    container: str  # "numpy" or "torch"
    layout: str  # "NHW", "NHWC" or "NCHW"
    dtype: str  # numpy or torch dtype name, e.g. "uint8", "float32"
    value_range: str  # "byte" (0..255 integers), "unit" ([0, 1]) or "signed" ([-1, 1])
    height: int
    width: int
    channels: int
    torch_device: str = "cpu"

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-able dict."""
        return asdict(self)


def is_image_stack(X: Any) -> bool:
    """True for a 3-D or 4-D ndarray or tensor (what ``model="auto"`` reads as images)."""
    if isinstance(X, torch.Tensor):
        return X.dim() in (3, 4)
    if isinstance(X, np.ndarray):
        return X.ndim in (3, 4)
    return False


def _resolve_layout(shape: tuple[int, ...], image_layout: str) -> str:
    ndim = len(shape)
    if image_layout not in IMAGE_LAYOUTS:
        raise ValueError(f"image_layout must be one of {IMAGE_LAYOUTS}, got {image_layout!r}.")
    if image_layout != "auto":
        expected = len(image_layout)
        if ndim != expected:
            raise ValueError(
                f"image_layout={image_layout!r} needs a {expected}-D stack of images, "
                f"got shape {shape}."
            )
        return image_layout
    if ndim == 3:
        return "NHW"
    if ndim != 4:
        raise ValueError(
            f"Images must be shaped (N, H, W), (N, H, W, C) or (N, C, H, W); got shape {shape}."
        )
    return "NHWC" if _channels_last(shape, "image_layout='NHWC' or image_layout='NCHW'") else "NCHW"


def _channels_last(shape: tuple[int, ...], choice: str) -> bool:
    """The layout rule: whether the channels of images shaped ``shape`` are the last axis.

    ``shape`` is one image's ``(H, W, C)`` or ``(C, H, W)``, or a stack's with ``N``
    in front: the candidates are the last axis and the one three from the end.
    ``choice`` names what the caller passes to settle an ambiguous shape.
    """
    first_axis, last_axis = len(shape) - 3, len(shape) - 1
    last, first = shape[last_axis] in _CHANNELS, shape[first_axis] in _CHANNELS
    if last != first:
        return last
    stack = len(shape) == 4
    what, are, have, n = (
        ("Images", "are", "have", "N, ") if stack else ("An image", "is", "has", "")
    )
    if last:
        raise ValueError(
            f"{what} of shape {shape} {are} ambiguous: axis {first_axis} and axis {last_axis} "
            f"could both be the channels. Pass {choice}."
        )
    raise ValueError(
        f"{what} of shape {shape} {have} no channel axis of size 1 (grayscale) or 3 (RGB) "
        f"in position {first_axis} or {last_axis}. Pass ({n}H, W), ({n}H, W, C) or "
        f"({n}C, H, W) with C in (1, 3)."
    )


def to_hwc(image: Any, image_layout: str = "auto") -> np.ndarray:
    """One image as an ``(H, W, C)`` ndarray, the layout of PIL, matplotlib and albumentations.

    The channel axis is found by the module's layout rule, the one
    :func:`check_images` applies to stacks: of the first and the last axis, the
    one that alone has 1 (grayscale) or 3 (RGB) entries.

    Parameters
    ----------
    image : ndarray, Tensor or PIL image
        Shaped ``(H, W)``, ``(H, W, C)`` or ``(C, H, W)``; a tensor may be on any
        device.
    image_layout : {"auto", "HWC", "CHW"}, default="auto"
        Layout of a 3-D ``image``; ``"auto"`` follows the layout rule. Pass it for
        an ambiguous shape, or for channels other than 1 and 3 (e.g. RGBA).

    Returns
    -------
    ndarray
        A C-contiguous ``(H, W, C)`` array: ``uint8`` stays ``uint8``, any other
        dtype becomes ``float32``; values are not rescaled.

    Raises
    ------
    ValueError
        If the image has neither 2 nor 3 axes, or its channel axis is ambiguous
        or missing.

    Examples
    --------
    >>> import numpy as np
    >>> from ganaug.encoders.image import to_hwc
    >>> to_hwc(np.zeros((3, 32, 32), dtype=np.uint8)).shape
    (32, 32, 3)
    >>> gray = to_hwc(np.zeros((28, 28)))
    >>> gray.shape, gray.dtype
    ((28, 28, 1), dtype('float32'))
    >>> to_hwc(np.zeros((8, 8, 4)), image_layout="HWC").shape  # RGBA: 4 channels
    (8, 8, 4)
    """
    if image_layout not in ("auto", "HWC", "CHW"):
        raise ValueError(f"image_layout must be 'auto', 'HWC' or 'CHW', got {image_layout!r}.")
    if isinstance(image, torch.Tensor):
        image = image.detach().cpu().numpy()
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    elif arr.ndim != 3:
        raise ValueError(f"An image must have 2 or 3 dimensions, got shape {arr.shape}.")
    elif image_layout == "CHW" or (
        image_layout == "auto" and not _channels_last(arr.shape, "image_layout='HWC' or 'CHW'")
    ):
        arr = np.moveaxis(arr, 0, -1)
    if arr.dtype == np.uint8:
        return np.ascontiguousarray(arr)
    return np.ascontiguousarray(arr, dtype=np.float32)


def _to_nchw(x: torch.Tensor, layout: str) -> torch.Tensor:
    if layout == "NHW":
        return x.unsqueeze(1)
    if layout == "NHWC":
        return x.permute(0, 3, 1, 2)
    return x


def _value_range(x: torch.Tensor, is_integer: bool) -> str:
    """Which of the accepted value ranges ``x`` is in; raises for anything else."""
    if x.numel() == 0:
        return "byte" if is_integer else "unit"
    lo, hi = float(x.min()), float(x.max())
    if is_integer:
        if lo < 0 or hi > 255:
            raise ValueError(
                f"Integer images must hold values in 0..255, got values in [{lo:g}, {hi:g}]. "
                "Convert them to uint8, or to float scaled to [0, 1]."
            )
        return "byte"
    if lo >= 0 and hi <= 1:
        return "unit"
    if lo >= -1 and hi <= 1:
        return "signed"
    raise ValueError(
        f"Float images must lie in [0, 1] or [-1, 1], got values in [{lo:g}, {hi:g}]. "
        "Scale them first, e.g. X / X.max()."
    )


def _check_side(height: int, width: int) -> None:
    for name, side in (("height", height), ("width", width)):
        if side < MIN_SIDE or side > MAX_SIDE:
            hint = (
                "a 1-pixel side usually means the layout was misread (pass image_layout)"
                if side == 1
                else f"resize the images to {MIN_SIDE}..{MAX_SIDE} pixels first"
            )
            raise ValueError(
                f"Image {name} is {side} pixels; GANAugmenter models images from "
                f"{MIN_SIDE} to {MAX_SIDE} pixels on a side: {hint}."
            )


def check_images(X: Any, image_layout: str = "auto") -> tuple[torch.Tensor, ImageInput]:
    """Read a stack of images into a float32 ``(N, C, H, W)`` tensor in ``[-1, 1]``.

    Parameters
    ----------
    X : ndarray or Tensor
        Images shaped ``(N, H, W)``, ``(N, H, W, C)`` or ``(N, C, H, W)``.
    image_layout : {"auto", "NHW", "NHWC", "NCHW"}
        Layout of ``X``; ``"auto"`` follows the rule in the module docstring.

    Returns
    -------
    images : Tensor
        A new CPU tensor; ``X`` is never modified.
    info : ImageInput
    """
    if isinstance(X, torch.Tensor):
        container, device = "torch", str(X.device)
        raw = X.detach().cpu()
        is_integer = not (raw.is_floating_point() or raw.is_complex()) and raw.dtype != torch.bool
        dtype = str(raw.dtype).removeprefix("torch.")
    elif isinstance(X, np.ndarray):
        container, device = "numpy", "cpu"
        if X.dtype.kind not in "uif":
            raise TypeError(
                f"Images must have an integer or float dtype, got {X.dtype}. Convert them, "
                "e.g. X.astype(np.uint8)."
            )
        is_integer = X.dtype.kind in "ui"
        dtype = X.dtype.name
        raw = torch.from_numpy(np.ascontiguousarray(X))
    else:
        raise TypeError(f"Images must be a numpy array or a torch tensor, got {type(X).__name__}.")
    if raw.dtype == torch.bool or raw.is_complex():
        raise TypeError(f"Images must have an integer or float dtype, got {raw.dtype}.")
    layout = _resolve_layout(tuple(raw.shape), image_layout)
    x = _to_nchw(raw, layout)
    n, channels, height, width = x.shape
    if channels not in _CHANNELS:
        raise ValueError(
            f"Images with layout {layout} have {channels} channels; only 1 (grayscale) "
            "and 3 (RGB) are supported."
        )
    _check_side(height, width)
    if n == 0:
        raise ValueError("X holds no images (0 samples).")
    if not is_integer:
        x = x.float()
        if not torch.isfinite(x).all():
            bad = int((~torch.isfinite(x)).flatten(1).any(1).sum())
            raise ValueError(
                f"{bad} image(s) hold NaN or infinite pixels; remove or repair them first."
            )
    value_range = _value_range(x, is_integer)
    info = ImageInput(container, layout, dtype, value_range, height, width, channels, device)
    return to_model_range(x.float(), value_range), info


def to_model_range(x: torch.Tensor, value_range: str) -> torch.Tensor:
    """Map float pixels from the caller's range to ``[-1, 1]`` (always a new tensor)."""
    if value_range == "byte":
        return x / 127.5 - 1.0
    if value_range == "unit":
        return x * 2.0 - 1.0
    return x.clone()


def check_image_batch(x: torch.Tensor, info: ImageInput) -> torch.Tensor:
    """Read a ``(N, C, H, W)`` batch of dataset items as :func:`check_images` did the first."""
    if tuple(x.shape[1:]) != (info.channels, info.height, info.width):
        raise ValueError(
            "The dataset holds images of different sizes: "
            f"{(info.channels, info.height, info.width)} and {tuple(x.shape[1:])} (C, H, W). "
            "Resize them to one size, e.g. with a torchvision Resize transform."
        )
    is_integer = not x.is_floating_point()
    x = x.float()
    if not is_integer and not torch.isfinite(x).all():
        raise ValueError("The dataset holds images with NaN or infinite pixels; repair them.")
    value_range = _value_range(x, is_integer)
    if value_range != info.value_range and not (
        {value_range, info.value_range} == {"unit", "signed"}
    ):
        raise ValueError(
            f"The dataset mixes value ranges ({info.value_range} and {value_range}); "
            "give every image the same dtype and scale."
        )
    # a batch entirely in [0, 1] may still come from a [-1, 1] dataset: keep the first reading
    return to_model_range(x, info.value_range)


class ImageResizer:
    """Between the caller's ``H x W`` and the networks' square power-of-two side.

    The side is the smallest power of two that holds both ``H`` and ``W``
    (at least 8), so images are only ever enlarged on the way in (bilinear)
    and shrunk back to the exact caller's size on the way out (antialiased).
    """

    def __init__(self, height: int, width: int) -> None:
        self.height = height
        self.width = width
        self.side = max(MIN_SIDE, 2 ** math.ceil(math.log2(max(height, width))))

    def to_model(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C, H, W)`` -> ``(N, C, side, side)``."""
        if x.shape[-2:] == (self.side, self.side):
            return x
        return F.interpolate(x, size=(self.side, self.side), mode="bilinear", align_corners=False)

    def from_model(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C, side, side)`` -> ``(N, C, H, W)``."""
        if x.shape[-2:] == (self.height, self.width):
            return x
        return F.interpolate(
            x, size=(self.height, self.width), mode="bilinear", align_corners=False, antialias=True
        )


def _item_array(image: Any) -> Any:
    """A dataset item's image as an ndarray or tensor (PIL images become ndarrays)."""
    if isinstance(image, torch.Tensor | np.ndarray):
        return image
    if hasattr(image, "getbands"):  # a PIL image, without importing PIL
        return np.asarray(image)
    raise TypeError(
        f"Dataset items must be (image, label) with the image a tensor, ndarray or PIL "
        f"image, got {type(image).__name__}."
    )


def _stack_items(images: list[Any]) -> Any:
    if isinstance(images[0], torch.Tensor):
        return torch.stack([torch.as_tensor(im) for im in images])
    return np.stack([np.asarray(im) for im in images])


class DatasetImages:
    """A torch ``Dataset`` of ``(image, label)`` pairs, read in batches, never all at once.

    Constructing it streams the dataset once through a ``DataLoader`` to read the
    labels and check every image (one size, finite pixels, accepted dtype).
    """

    def __init__(self, dataset: Any, image_layout: str = "auto", batch_size: int = 256) -> None:
        from torch.utils.data import DataLoader

        self.dataset = dataset
        self.image_layout = image_layout
        labels: list[Any] = []
        self.info: ImageInput | None = None
        shape = None
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=list)
        for items in loader:
            images = []
            for item in items:
                if not isinstance(item, tuple | list) or len(item) != 2:
                    raise ValueError(
                        "Dataset items must be (image, label) pairs; got "
                        f"{type(item).__name__}. Wrap the dataset to return pairs."
                    )
                images.append(_item_array(item[0]))
                label = item[1]
                labels.append(
                    label.item() if isinstance(label, torch.Tensor | np.generic) else label
                )
            if shape is None:
                shape = tuple(images[0].shape)
            for im in images:
                if tuple(im.shape) != shape:
                    raise ValueError(
                        f"The dataset holds images of different shapes: {shape} and "
                        f"{tuple(im.shape)}. Resize them to one size, e.g. with a torchvision "
                        "Resize transform."
                    )
            _, info = check_images(_stack_items(images), image_layout)
            if self.info is None:
                self.info = info
            elif info.value_range != self.info.value_range and {
                info.value_range,
                self.info.value_range,
            } != {"unit", "signed"}:
                raise ValueError(
                    f"The dataset mixes value ranges ({self.info.value_range} and "
                    f"{info.value_range}); give every image the same dtype and scale."
                )
            elif info.value_range == "signed":
                self.info = info  # a [-1, 1] batch decides for batches that were all >= 0
        if self.info is None:
            raise ValueError("The dataset is empty: it holds no (image, label) pairs.")
        self.labels = np.asarray(labels)

    def __len__(self) -> int:
        return len(self.labels)

    def load(self, rows: Any) -> torch.Tensor:
        """Images at dataset positions ``rows`` as CPU ``(n, C, H, W)`` in ``[-1, 1]``."""
        from torch.utils.data import DataLoader

        rows = [int(r) for r in rows]
        loader = DataLoader(self.dataset, batch_size=len(rows), sampler=rows, collate_fn=list)
        items = next(iter(loader))
        stack = _stack_items([_item_array(item[0]) for item in items])
        # on the CPU whatever device the items are on: the callers move batches to
        # the training device, and mean matching and the gate work on the CPU
        x = _to_nchw(torch.as_tensor(stack).cpu(), self.info.layout)
        return check_image_batch(x, self.info)
