"""Differentiable augmentation (DiffAugment) for data-efficient GAN training.

Zhao et al. [1]_ augment real and fake images alike, with operations the
generator's gradient passes through, so that the critic cannot memorise a few
dozen real images and the generator does not learn the augmentations. Every
random draw comes from the ``torch.Generator`` passed in.

References
----------
.. [1] S. Zhao, Z. Liu, J. Lin, J.-Y. Zhu, S. Han, "Differentiable Augmentation
   for Data-Efficient GAN Training", NeurIPS 2020.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.nn import functional as F

__all__ = ["AUGMENTATIONS", "DiffAugment", "color", "cutout", "translation"]


def _uniform(n: int, like: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    return torch.rand(n, 1, 1, 1, generator=rng, device=like.device, dtype=like.dtype)


def color(x: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """Random brightness, saturation (colour images only) and contrast per image."""
    n = len(x)
    x = x + (_uniform(n, x, rng) - 0.5)
    if x.shape[1] > 1:
        mean = x.mean(dim=1, keepdim=True)
        x = (x - mean) * (_uniform(n, x, rng) * 2) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_uniform(n, x, rng) + 0.5) + mean


def translation(x: torch.Tensor, rng: torch.Generator, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to ``ratio`` of its side, filling with zeros."""
    n, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dx = torch.randint(-sh, sh + 1, (n, 1, 1), generator=rng, device=x.device)
    dy = torch.randint(-sw, sw + 1, (n, 1, 1), generator=rng, device=x.device)
    batch, gx, gy = torch.meshgrid(
        torch.arange(n, device=x.device),
        torch.arange(h, device=x.device),
        torch.arange(w, device=x.device),
        indexing="ij",
    )
    gx = torch.clamp(gx + dx + 1, 0, h + 1)
    gy = torch.clamp(gy + dy + 1, 0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])
    return padded.permute(0, 2, 3, 1)[batch, gx, gy].permute(0, 3, 1, 2)


def cutout(x: torch.Tensor, rng: torch.Generator, ratio: float = 0.5) -> torch.Tensor:
    """Zero a random square of ``ratio`` of the side in each image."""
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ox = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), generator=rng, device=x.device)
    oy = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), generator=rng, device=x.device)
    batch, gx, gy = torch.meshgrid(
        torch.arange(n, device=x.device),
        torch.arange(ch, device=x.device),
        torch.arange(cw, device=x.device),
        indexing="ij",
    )
    gx = torch.clamp(gx + ox - ch // 2, 0, h - 1)
    gy = torch.clamp(gy + oy - cw // 2, 0, w - 1)
    mask = torch.ones(n, h, w, device=x.device, dtype=x.dtype)
    mask[batch, gx, gy] = 0
    return x * mask.unsqueeze(1)


AUGMENTATIONS = {"color": color, "translation": translation, "cutout": cutout}


class DiffAugment:
    """A policy of differentiable augmentations, called as ``augment(x, rng)``.

    Parameters
    ----------
    policy : sequence of str
        Names from ``AUGMENTATIONS`` applied in order.
    """

    def __init__(self, policy: Sequence[str] = ("color", "translation", "cutout")) -> None:
        unknown = [p for p in policy if p not in AUGMENTATIONS]
        if unknown:
            raise ValueError(f"Unknown augmentations {unknown}; choose from {list(AUGMENTATIONS)}.")
        self.policy = tuple(policy)

    def __call__(self, x: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
        for name in self.policy:
            x = AUGMENTATIONS[name](x, rng)
        return x
