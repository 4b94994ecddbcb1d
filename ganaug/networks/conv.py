"""Convolutional networks of the image model (a conditional DCGAN).

The generator follows DCGAN [1]_ (transposed convolutions doubling the side from
4x4) with class-conditional batch norm [2]_; the critic uses spectral norm [3]_
and a projection head for the class [4]_.

References
----------
.. [1] A. Radford, L. Metz, S. Chintala, "Unsupervised Representation Learning
   with Deep Convolutional Generative Adversarial Networks", ICLR 2016.
.. [2] V. Dumoulin, J. Shlens, M. Kudlur, "A Learned Representation for
   Artistic Style", ICLR 2017.
.. [3] T. Miyato, T. Kataoka, M. Koyama, Y. Yoshida, "Spectral Normalization for
   Generative Adversarial Networks", ICLR 2018.
.. [4] T. Miyato, M. Koyama, "cGANs with Projection Discriminator", ICLR 2018.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.parametrizations import spectral_norm

__all__ = [
    "ConditionalBatchNorm2d",
    "ConvClassifier",
    "ConvCritic",
    "ConvGenerator",
    "level_widths",
]

_MAX_WIDTH = 256


def level_widths(side: int, base_width: int) -> list[int]:
    """Channels at 4x4, 8x8, ..., side x side: halving as the side doubles, capped."""
    n_levels = int(math.log2(side // 4)) + 1
    return [min(_MAX_WIDTH, base_width * 2 ** (n_levels - 1 - i)) for i in range(n_levels)]


class ConditionalBatchNorm2d(nn.Module):
    """Batch norm whose scale and shift are looked up per class."""

    def __init__(self, channels: int, n_classes: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.scale = nn.Embedding(n_classes, channels)
        self.shift = nn.Embedding(n_classes, channels)
        nn.init.ones_(self.scale.weight)
        nn.init.zeros_(self.shift.weight)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        # x: (n, channels, h, w); y: (n,) class indices
        h = self.norm(x)
        return h * self.scale(y)[:, :, None, None] + self.shift(y)[:, :, None, None]


class ConvGenerator(nn.Module):
    """Noise and class -> image of shape (channels, side, side) in [-1, 1].

    Parameters
    ----------
    latent_dim : int
        Width of the noise vector.
    n_classes : int
        Number of classes.
    channels : int
        1 (grayscale) or 3 (RGB).
    side : int
        Output side, a power of two >= 8.
    base_width : int
        Channels at the last resolution; earlier ones double (capped at 256).
    """

    def __init__(
        self, latent_dim: int, n_classes: int, channels: int, side: int, base_width: int = 64
    ) -> None:
        super().__init__()
        widths = level_widths(side, base_width)
        self.embed = nn.Embedding(n_classes, latent_dim)
        self.project = nn.Linear(2 * latent_dim, widths[0] * 16)
        self.norms = nn.ModuleList(ConditionalBatchNorm2d(w, n_classes) for w in widths)
        self.ups = nn.ModuleList(
            nn.ConvTranspose2d(w_in, w_out, 4, stride=2, padding=1, bias=False)
            for w_in, w_out in zip(widths[:-1], widths[1:])
        )
        self.to_image = nn.Conv2d(widths[-1], channels, 3, padding=1)
        self.first_width = widths[0]

    def forward(
        self, z: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        # z: (n, latent_dim) noise; y: (n,) class indices; generator: unused (no noise inside)
        h = self.project(torch.cat([z, self.embed(y)], dim=1))
        h = h.view(len(z), self.first_width, 4, 4)
        for norm, up in zip(self.norms[:-1], self.ups):
            h = up(F.relu(norm(h, y)))
        return torch.tanh(self.to_image(F.relu(self.norms[-1](h, y))))


class ConvCritic(nn.Module):
    """Image and class -> one score: spectral-norm convolutions and a projection head.

    Parameters
    ----------
    n_classes : int
        Number of classes.
    channels : int
        Image channels.
    side : int
        Input side, a power of two >= 8.
    base_width : int
        Channels at full resolution; they double at each halving (capped at 256).
    """

    def __init__(self, n_classes: int, channels: int, side: int, base_width: int = 64) -> None:
        super().__init__()
        widths = level_widths(side, base_width)[::-1]  # full resolution first
        self.stem = spectral_norm(nn.Conv2d(channels, widths[0], 3, padding=1))
        self.downs = nn.ModuleList(
            spectral_norm(nn.Conv2d(w_in, w_out, 4, stride=2, padding=1))
            for w_in, w_out in zip(widths[:-1], widths[1:])
        )
        self.head = spectral_norm(nn.Linear(widths[-1] + 1, 1))
        self.projection = spectral_norm(nn.Embedding(n_classes, widths[-1]))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        # x: (n, channels, side, side) in [-1, 1]; y: (n,) class indices
        h = F.leaky_relu(self.stem(x), 0.2)
        for down in self.downs:
            h = F.leaky_relu(down(h), 0.2)
        spread = minibatch_std(h)
        h = h.sum(dim=(2, 3))
        # projection discriminator: <embed(y), features> carries the class
        score = self.head(torch.cat([h, spread], dim=1)).squeeze(1)
        return score + (self.projection(y) * h).sum(1)


def minibatch_std(h: torch.Tensor) -> torch.Tensor:
    """Per sample, the feature spread of its group of consecutive samples, shape (n, 1).

    The minibatch-standard-deviation feature of Karras et al. (ProGAN): a critic
    that sees how varied a group is can punish a generator whose samples are all
    alike. Groups are consecutive samples, 4 when ``n`` is a multiple of 8, so
    that a batch of real samples followed by as many fakes never mixes the two.
    """
    n = h.shape[0]
    group = 4 if n % 8 == 0 else 2 if n % 4 == 0 else 1
    if group == 1:
        return h.new_zeros(n, 1)
    grouped = h.reshape(n // group, group, -1)
    # the variance written out: torch's var over a middle axis (and its backward)
    # took about 6 times as long on the CPU, 6% of a whole training step at 32x32
    variance = (grouped - grouped.mean(dim=1, keepdim=True)).square().mean(dim=1)
    spread = (variance + 1e-8).sqrt().mean(dim=1)
    return spread.repeat_interleave(group).unsqueeze(1)


class ConvClassifier(nn.Module):
    """A small CNN classifier of real images (the auxiliary classifier)."""

    def __init__(self, n_classes: int, channels: int, width: int = 32) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.AdaptiveAvgPool2d(2),
            nn.Flatten(),
        )
        self.out = nn.Linear(8 * width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (n, channels, side, side); returns (n, n_classes) logits
        return self.out(self.features(x))
