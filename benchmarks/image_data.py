"""Image data sets for the image benchmarks, built from bundled data or generated.

- :func:`make_distorted_digits`: scikit-learn's 8x8 digits drawn at MNIST size
  (28x28 grayscale) with random rotation, scale, shift, stroke thickness, blur
  and noise, so that no two images are interpolations of the same 8x8 block.
  The 8x8 source digits are split into train and test first, so that no test
  image comes from a training digit.
- :func:`make_colour_shapes`: 32x32 RGB images of ten classes that differ in
  shape (disc, square, ring, bar, cross) and colour, with random position, size,
  background and noise.

Both cut classes 0-4 to ``minority_fraction`` of the others in training only
and return ``X_train, X_test, y_train, y_test, X_train_all, y_train_all`` (the
last two before the cut, for the label-fidelity reader), images as float32 in
[0, 1]: ``(N, 28, 28)`` for digits, ``(N, 32, 32, 3)`` for shapes.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.nn import functional as F

__all__ = ["make_colour_shapes", "make_distorted_digits"]

Split = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _distort(sources: torch.Tensor, side: int, rng: torch.Generator) -> torch.Tensor:
    """Random affine draws of ``(n, 1, h, w)`` images in [0, 1] at ``side`` x ``side``."""
    n = len(sources)

    def uniform(low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(n, generator=rng)

    angle = uniform(-10, 10) * math.pi / 180
    # the 8x8 digit fills about 20x20 of the 28x28 image, as in MNIST
    scale = uniform(0.85, 1.05) * side / 20.0
    shear = uniform(-0.15, 0.15)
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack(
        [
            torch.stack([cos, -sin + shear * cos, uniform(-0.08, 0.08)], 1),
            torch.stack([sin, cos + shear * sin, uniform(-0.08, 0.08)], 1),
        ],
        1,
    )
    grid = F.affine_grid(theta, [n, 1, side, side], align_corners=False)
    padded = F.pad(sources, (1, 1, 1, 1))  # a blank border: outside the digit is paper
    x = F.grid_sample(padded, grid, mode="bicubic", padding_mode="zeros", align_corners=False)
    # stroke thickness: a soft threshold at a random level thins or thickens strokes
    level = uniform(0.25, 0.5)[:, None, None, None]
    x = torch.sigmoid((x.clamp(0, 1) - level) * 12.0)
    x = (x - torch.sigmoid(-level * 12.0)) / (1 - torch.sigmoid(-level * 12.0))
    blur = uniform(0.3, 1.0)
    kernel = torch.arange(-2, 3, dtype=torch.float32)
    weights = torch.exp(-(kernel[None, :] ** 2) / (2 * blur[:, None] ** 2))
    weights = weights / weights.sum(1, keepdim=True)  # (n, 5): a separable Gaussian per image
    x = F.conv2d(
        F.pad(x, (2, 2, 2, 2)).transpose(0, 1), weights[:, None, None, :], groups=n
    ).transpose(0, 1)
    x = F.conv2d(x.transpose(0, 1), weights[:, None, :, None], groups=n).transpose(0, 1)
    x = x + 0.04 * torch.randn(x.shape, generator=rng)
    return x.clamp(0, 1)


def make_distorted_digits(
    seed: int, per_class: int = 400, minority_fraction: float = 0.1, test_per_class: int = 200
) -> Split:
    """MNIST-size digits from the bundled 8x8 digits (see the module docstring).

    Training has ``per_class`` images of each of classes 5-9 and
    ``minority_fraction`` of that of 0-4 (2,200 images by default); the test set
    ``test_per_class`` images per class, all classes.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = torch.as_tensor(digits.images / 16.0, dtype=torch.float32)[:, None]
    rows_tr, rows_te = train_test_split(
        np.arange(len(images)), test_size=0.3, stratify=digits.target, random_state=seed
    )
    rng = torch.Generator().manual_seed(seed)
    np_rng = np.random.default_rng(seed)

    def draw(rows: np.ndarray, n_per_class: int) -> tuple[np.ndarray, np.ndarray]:
        # every source digit of a class is used about equally often, each with its own draw
        picked = np.concatenate(
            [
                np.resize(np_rng.permutation(rows[digits.target[rows] == c]), n_per_class)
                for c in range(10)
            ]
        )
        x = _distort(images[picked], 28, rng)[:, 0].numpy()
        return x, digits.target[picked]

    X_all, y_all = draw(rows_tr, per_class)
    X_te, y_te = draw(rows_te, test_per_class)
    # the minority classes keep distinct source digits where there are enough
    keep = _cut_minority_distinct(y_all, per_class, minority_fraction)
    return X_all[keep], X_te, y_all[keep], y_te, X_all, y_all


def _cut_minority_distinct(y: np.ndarray, per_class: int, fraction: float) -> np.ndarray:
    """The first ``fraction`` of each minority class: distinct sources (``draw`` cycles them)."""
    n_keep = max(2, int(round(per_class * fraction)))
    keep = [np.flatnonzero(y == c)[: n_keep if c < 5 else None] for c in range(10)]
    return np.sort(np.concatenate(keep))


# (shape, RGB colour) of each class: pairs share a shape or a colour, so that a
# classifier needs both; the colour is jittered per image.
_SHAPE_CLASSES = [
    ("disc", (0.9, 0.2, 0.2)),
    ("disc", (0.2, 0.4, 0.9)),
    ("square", (0.9, 0.2, 0.2)),
    ("square", (0.2, 0.8, 0.3)),
    ("ring", (0.2, 0.4, 0.9)),
    ("ring", (0.9, 0.8, 0.2)),
    ("bar", (0.2, 0.8, 0.3)),
    ("bar", (0.8, 0.3, 0.8)),
    ("cross", (0.9, 0.8, 0.2)),
    ("cross", (0.8, 0.3, 0.8)),
]


def _draw_shapes(y: np.ndarray, side: int, rng: np.random.Generator) -> np.ndarray:
    n = len(y)
    coords = (np.arange(side) + 0.5) / side
    yy, xx = np.meshgrid(coords, coords, indexing="ij")
    cx, cy = rng.uniform(0.4, 0.6, (2, n))
    size = rng.uniform(0.2, 0.3, n)
    turn = rng.uniform(-0.5, 0.5, n)
    out = np.empty((n, side, side, 3), dtype=np.float32)
    for i, c in enumerate(y):
        shape, colour = _SHAPE_CLASSES[c]
        dx, dy = xx - cx[i], yy - cy[i]
        u = dx * np.cos(turn[i]) + dy * np.sin(turn[i])
        v = -dx * np.sin(turn[i]) + dy * np.cos(turn[i])
        r, s = np.hypot(u, v), size[i]
        mask = {
            "disc": r < s,
            "square": np.maximum(abs(u), abs(v)) < 0.85 * s,
            "ring": (r < s) & (r > 0.6 * s),
            "bar": (abs(u) < 1.2 * s) & (abs(v) < 0.3 * s),
            "cross": ((abs(u) < s) & (abs(v) < 0.25 * s)) | ((abs(v) < s) & (abs(u) < 0.25 * s)),
        }[shape]
        background = rng.uniform(0.0, 0.25, 3)
        tint = np.clip(np.asarray(colour) + rng.normal(0, 0.07, 3), 0, 1)
        out[i] = np.where(mask[..., None], tint, background)
    out += rng.normal(0, 0.05, out.shape).astype(np.float32)
    return np.clip(out, 0, 1)


def make_colour_shapes(
    seed: int, per_class: int = 400, minority_fraction: float = 0.1, test_per_class: int = 200
) -> Split:
    """32x32 RGB shapes, ten classes (see the module docstring)."""
    rng = np.random.default_rng(seed)
    y_all = np.repeat(np.arange(10), per_class)
    y_te = np.repeat(np.arange(10), test_per_class)
    X_all, X_te = _draw_shapes(y_all, 32, rng), _draw_shapes(y_te, 32, rng)
    keep = _cut_minority_distinct(y_all, per_class, minority_fraction)
    return X_all[keep], X_te, y_all[keep], y_te, X_all, y_all
