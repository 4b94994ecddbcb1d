"""Pixel levels: synthetic pixel values put on the few values the real images take.

Images stored as floats often carry only a few distinct pixel values: 8-bit
images divided by 255 take at most 256, scikit-learn's 8x8 digits 17 (0 to 16,
often scaled to sixteenths). A generator's output is continuous, so its
values fall between those levels (0.54 where real digits hold 0.5 or 0.5625):
a number no real image has, which a person reading the arrays spots at once
and a detector can learn. :class:`PixelLevels` collects the distinct values of
the real images as they are read, and when there are few of them moves each
synthetic value to the nearest one. Images with more distinct values than
``MAX_LEVELS`` (blurred, noisy or normalised per image) are left as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import torch

__all__ = ["MAX_LEVELS", "PixelLevels"]

# Most distinct values that count as levels: an 8-bit image's 256.
MAX_LEVELS = 256


class PixelLevels:
    """The distinct pixel values of the real images, if there are at most ``MAX_LEVELS``.

    Values are counted in the model's ``[-1, 1]`` space, pooled over classes
    and channels.

    Attributes
    ----------
    levels_ : Tensor of shape (n_levels,), float32, or None
        The sorted distinct values once fitted; None when the real images have
        more than ``MAX_LEVELS`` distinct values (or none were read).

    Examples
    --------
    >>> import torch
    >>> real = torch.tensor([-1.0, 0.0, 0.5, 1.0]).view(1, 1, 2, 2)
    >>> levels = PixelLevels()
    >>> levels.add(real)
    >>> levels.snap(torch.tensor([-0.9, 0.2, 0.3, 0.8]).view(1, 1, 2, 2)).flatten().tolist()
    [-1.0, 0.0, 0.5, 1.0]
    """

    def __init__(self) -> None:
        self._seen: torch.Tensor | None = torch.zeros(0)
        self.levels_: torch.Tensor | None = None

    def add(self, x: torch.Tensor) -> None:
        """Collect the distinct values of the images ``x`` (any shape, ``[-1, 1]``)."""
        if self._seen is None:
            return  # already too many
        seen = torch.unique(torch.cat([self._seen, torch.unique(x.detach().float().cpu())]))
        self._seen = seen if len(seen) <= MAX_LEVELS else None
        self.levels_ = None if self._seen is None or len(self._seen) < 2 else self._seen

    def counted(
        self, batches: Iterable[tuple[torch.Tensor, torch.Tensor]]
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """``(images, labels)`` batches passed on unchanged, their values collected on the way."""
        for x, y in batches:
            self.add(x)
            yield x, y

    def snap(self, images: torch.Tensor) -> torch.Tensor:
        """``images`` with each value moved to the nearest level (unchanged without levels)."""
        if self.levels_ is None:
            return images
        levels = self.levels_.to(images.device)
        flat = images.float().contiguous().view(-1)
        upper = torch.searchsorted(levels, flat).clamp_(1, len(levels) - 1)
        below, above = levels[upper - 1], levels[upper]
        nearest = torch.where(flat - below <= above - flat, below, above)
        return nearest.view(images.shape)
