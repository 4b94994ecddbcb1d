"""Fitting the image model: build or continue it, train, then the per-class corrections.

What the estimator calls for images (:func:`fit_image_model`): the networks are
built for the image size (:mod:`ganaug.models.image`), trained, and then each
class gets its noise spread (:mod:`ganaug.sampling.truncation`), its mean-image
shift and its intensity map (:mod:`ganaug.sampling.corrections`,
:mod:`ganaug.sampling.intensities`), in that order, so that each is measured on
the samples users get.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np
import torch

from .._scalars import plain
from ..encoders.image import ImageResizer
from ..inputs.images import CheckedImages
from ..inputs.labels import random_rows_per_class
from ..sampling.gate import features, real_features
from ..sampling.intensities import PixelHistograms
from ..sampling.truncation import fit_truncation
from ..training.batches import BalancedBatches
from ..training.trainer import Callback
from .image import (
    SAMPLE_CHUNK,
    ImageGAN,
    ImageSettings,
    augment_policy,
    base_width_for,
    default_image_steps,
)

__all__ = ["fit_image_model", "spreads_by_label"]


def fit_image_model(
    model: ImageGAN | None,
    checked: CheckedImages,
    y_idx: np.ndarray,
    n_classes: int,
    settings: ImageSettings,
    n_steps: int | None,
    seeds: Sequence[int],
    device: torch.device,
    verbose: int,
    callbacks: Sequence[Callback],
) -> ImageGAN:
    """Build (unless ``model`` continues) and train the image model; returns it."""
    info = checked.info
    if model is None:
        side = ImageResizer(info.height, info.width).side
        settings = replace(settings, augment=augment_policy(side), base_width=base_width_for(side))
        model = ImageGAN(settings, info.channels, info.height, info.width)
        model.build(y_idx, n_classes, int(seeds[0]), device, callbacks)
    steps = default_image_steps(len(checked), model.resizer.side) if n_steps is None else n_steps
    if checked.stream is not None:
        source = BalancedBatches(
            checked.stream, y_idx, model.trainer.config.batch_size, model.resizer, device
        )
        model.train(source, y_idx, steps, verbose, int(seeds[1]))
    else:
        model.train(checked.images, y_idx, steps, verbose, int(seeds[1]))
    model.shift, model.intensities = None, None
    model.truncation = _spreads(model, checked, y_idx, settings.truncation, int(seeds[1]))
    if settings.mean_matching:
        # after the spreads: both are measured on the samples users get
        real = _real_batches(checked, y_idx, int(seeds[1]))
        # grayscale only: matching each colour channel on its own ignores how the
        # channels go together; on 32x32 RGB shapes it raised the detection AUC of
        # benchmarks/images.py from about 0.58 to 0.84
        histograms = PixelHistograms(n_classes) if model.channels == 1 else None
        if histograms is not None:
            real = histograms.counted(real)  # one read of the real images for both fits
        model.match_means(real, int(seeds[1]))
        if histograms is not None:
            model.match_intensities(histograms, int(seeds[1]))
    return model


def _spreads(
    model: ImageGAN, checked: CheckedImages, y_idx: np.ndarray, setting: float | str, seed: int
) -> np.ndarray | None:
    """The noise spread per class: fitted for ``"auto"``, else the given value (1: none)."""
    if setting != "auto":
        return None if float(setting) == 1.0 else np.full(model.n_classes, setting, np.float32)
    real, y_real = real_features(model, checked, y_idx, seed)
    return fit_truncation(
        model.generate,
        partial(features, model),
        real,
        y_real,
        model.n_classes,
        seed,
        model.device,
    )


# Real images per class (at most) read from a Dataset to estimate a class's mean image.
_MEAN_IMAGES_PER_CLASS = 2000


def _real_batches(
    checked: CheckedImages, y_idx: np.ndarray, seed: int, size: int = SAMPLE_CHUNK
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The training images in ``[-1, 1]`` with their class indices, a batch at a time.

    From a Dataset, at most ``_MEAN_IMAGES_PER_CLASS`` random images per class:
    a mean image from 2,000 images is within 2% of a pixel's spread of the full
    mean, and a second pass over every image on disk would cost as much time as
    the label pass.
    """
    rows = np.arange(len(y_idx))
    if checked.stream is not None:
        rows = random_rows_per_class(y_idx, _MEAN_IMAGES_PER_CLASS, seed)
    labels = torch.as_tensor(y_idx[rows], dtype=torch.long)
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        if checked.stream is not None:
            images = checked.stream.load(chunk)
        else:
            images = checked.images[chunk[0] : chunk[-1] + 1]
        yield images, labels[start : start + len(chunk)]


def spreads_by_label(model: Any, classes: np.ndarray) -> dict[Any, float] | None:
    """``{class label: psi}`` of an image model (1.0 without truncation); None for tables."""
    if not isinstance(model, ImageGAN):
        return None
    psi = model.truncation if model.truncation is not None else np.ones(len(classes))
    return {plain(c): round(float(v), 6) for c, v in zip(classes, psi)}
