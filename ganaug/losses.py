"""GAN losses as pure functions of critic scores.

``"wgan-gp"``: the Wasserstein critic of Gulrajani et al. [1]_ (use with
:func:`gradient_penalty`); ``"hinge"``: the hinge loss of SAGAN/BigGAN;
``"bce"``: the non-saturating loss of the original GAN and DCGAN [2]_.
:func:`mode_seeking` is MSGAN's diversity term on the generator [3]_.

References
----------
.. [1] I. Gulrajani, F. Ahmed, M. Arjovsky, V. Dumoulin, A. Courville,
   "Improved Training of Wasserstein GANs", NeurIPS 2017.
.. [2] A. Radford, L. Metz, S. Chintala, "Unsupervised Representation Learning
   with Deep Convolutional Generative Adversarial Networks", ICLR 2016.
.. [3] Q. Mao, H.-Y. Lee, H.-Y. Tseng, S. Ma, M.-H. Yang, "Mode Seeking
   Generative Adversarial Networks for Diverse Image Synthesis", CVPR 2019.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.nn import functional as F

__all__ = [
    "LOSSES",
    "critic_loss",
    "generator_loss",
    "gradient_penalty",
    "gradient_penalty_at",
    "mode_seeking",
]

LOSSES = ("wgan-gp", "hinge", "bce")


def critic_loss(kind: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Loss the critic minimises, from its scores on real and fake samples."""
    if kind == "wgan-gp":
        return fake.mean() - real.mean()
    if kind == "hinge":
        return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()
    if kind == "bce":
        return F.softplus(-real).mean() + F.softplus(fake).mean()
    raise ValueError(f"Unknown loss {kind!r}; expected one of {LOSSES}.")


def generator_loss(kind: str, fake: torch.Tensor) -> torch.Tensor:
    """Loss the generator minimises, from the critic's scores on its samples."""
    if kind in ("wgan-gp", "hinge"):
        return -fake.mean()
    if kind == "bce":
        # non-saturating: -log D(G(z)) rather than log(1 - D(G(z)))
        return F.softplus(-fake).mean()
    raise ValueError(f"Unknown loss {kind!r}; expected one of {LOSSES}.")


def gradient_penalty_at(scores: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    """WGAN-GP's penalty (||grad_x D(x)|| - 1)^2 from scores already computed.

    Parameters
    ----------
    scores : Tensor of shape (n,)
        Critic scores of ``inputs``.
    inputs : Tensor of shape (n, ...)
        The points scored (random interpolates of real and fake samples), with
        ``requires_grad=True``.
    """
    (grads,) = torch.autograd.grad(scores.sum(), inputs, create_graph=True)
    # the small constant keeps the norm differentiable at exactly zero gradient
    norms = torch.sqrt(grads.flatten(1).pow(2).sum(1) + 1e-12)
    return ((norms - 1.0) ** 2).mean()


def gradient_penalty(
    critic: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    y: torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """WGAN-GP's penalty on random interpolates of ``real`` and ``fake``.

    Parameters
    ----------
    critic : callable
        ``critic(x, y)`` returning one score per sample.
    real, fake : Tensor
        Batches of the same shape.
    y : Tensor of shape (n,)
        Class indices shared by both batches.
    generator : torch.Generator, optional
        Source of the interpolation weights.
    """
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    eps = torch.rand(shape, generator=generator, device=real.device, dtype=real.dtype)
    mixed = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)
    return gradient_penalty_at(critic(mixed, y), mixed)


def mode_seeking(z: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """MSGAN's mode-seeking term: noise distance over sample distance, on pairs.

    Row ``i`` of the first half of the batch is paired with row ``i`` of the
    second half (two noise vectors of the same class); the generator pays
    ``|z1 - z2| / |G(z1) - G(z2)|`` (mean absolute differences), so that it
    cannot map every noise vector of a class to the same sample.

    Parameters
    ----------
    z : Tensor of shape (2 * h, latent_dim)
        The noise of the pairs.
    fake : Tensor of shape (2 * h, ...)
        The generator's samples from ``z``.

    Returns
    -------
    Tensor
        A scalar, the mean ratio over the ``h`` pairs times 0.1.
    """
    half = len(z) // 2
    dz = (z[:half] - z[half:]).abs().mean(1)
    dx = (fake[:half] - fake[half:]).abs().flatten(1).mean(1)
    return (dz / (dx + 1e-5)).mean() * 0.1  # dz/dx starts near 10: scaled to ~1
