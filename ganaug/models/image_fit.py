"""Fitting the image model: build or continue it, train, then the per-class corrections.

What the estimator calls for images (:func:`fit_image_model`): the networks are
built for the image size (:mod:`ganaug.models.image`), trained, and then each
class gets its noise spread (:mod:`ganaug.sampling.truncation`), its mean-image
shift and its intensity map (:mod:`ganaug.sampling.corrections`,
:mod:`ganaug.sampling.intensities`), in that order, so that each is measured on
the samples users get; then the mean shift once more, on the samples after
the map; last, the real images' pixel levels (:mod:`ganaug.sampling.levels`),
read in the same pass.
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
from ..sampling.corrections import MeanImageShift, class_means
from ..sampling.gate import features, real_features
from ..sampling.intensities import IntensityMap, PixelHistograms
from ..sampling.levels import PixelLevels
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

# Synthetic images per class (at most) that estimate a class's synthetic mean image
# and its distribution of pixel values.
_REFERENCE_PER_CLASS = 256


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
    model.shift, model.intensities, model.levels = None, None, None
    model.final_shift = None
    model.truncation = _spreads(model, checked, y_idx, settings.truncation, int(seeds[1]))
    levels = PixelLevels()
    real = levels.counted(_real_batches(checked, y_idx, int(seeds[1])))
    # grayscale only: matching each colour channel on its own ignores how the
    # channels go together; on 32x32 RGB shapes it raised the detection AUC of
    # benchmarks/images.py from about 0.58 to 0.84
    histograms = PixelHistograms(n_classes) if model.channels == 1 else None
    if histograms is not None and settings.mean_matching:
        real = histograms.counted(real)  # one read of the real images for all fits
    real_mean, real_counts = class_means(real, n_classes)
    if settings.mean_matching:
        # after the spreads: each is measured on the samples users get
        model.shift = _mean_shift(model, real_mean, real_counts, int(seeds[1]))
        if histograms is not None:
            model.intensities = _intensity_map(model, histograms, int(seeds[1]) + 1)
        # the map moves the means again: the shift once more, applied after it
        model.final_shift = _mean_shift(model, real_mean, real_counts, int(seeds[1]) + 2)
    # last: the corrections above were fitted on values before the snap
    model.levels = levels if levels.levels_ is not None else None
    return model


def _reference_rng(model: ImageGAN, seed: int) -> tuple[torch.Generator, int]:
    """A generator for a fixed reference draw, and the samples to draw per class."""
    rng = torch.Generator(device=model.device)
    rng.manual_seed(seed)
    return rng, int(np.clip(8192 // model.n_classes, 32, _REFERENCE_PER_CLASS))


def _mean_shift(
    model: ImageGAN, real_mean: torch.Tensor, real_counts: torch.Tensor, seed: int
) -> MeanImageShift:
    """The per-class shift that gives the model's samples, as they come out now, the real means.

    ``real_mean`` is ``(n_classes, C, H, W)`` at the caller's size in ``[-1,
    1]``. On the digits benchmark the synthetic mean image of a class of a
    dozen images missed the real one by 0.05 to 0.08 per pixel (of a [0, 1]
    range), and a logistic regression trained on those samples read fewer test
    images as that class; shifting the mean raised its balanced accuracy by
    0.005 to 0.02. The intensity map then moves each class's mean image again,
    by about 0.01 per pixel on MNIST-size digits, and a pixel classifier told
    the samples from real images by that alone: so the shift is fitted a second
    time after the map (``final_shift``; benchmarks/BENCHMARKS.md, "A second
    mean shift").
    """
    rng, per_class = _reference_rng(model, seed)
    generate = lambda y: model.generate(y.numpy(), rng)  # noqa: E731
    return MeanImageShift().fit(real_mean, real_counts, generate, per_class)


def _intensity_map(model: ImageGAN, real: PixelHistograms, seed: int) -> IntensityMap:
    """The per-class map of the model's pixel values, as they come out now, onto the real ones.

    ``real`` holds the real images' histograms (caller's size, ``[-1, 1]``);
    grayscale images only (see :mod:`ganaug.sampling.intensities` for why and
    what it measured).
    """
    rng, per_class = _reference_rng(model, seed)
    labels = np.repeat(np.arange(model.n_classes), per_class)
    synthetic = model.generate(labels, rng)
    return IntensityMap().fit(real, synthetic, torch.as_tensor(labels))


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
