"""The trainer of the image model: :class:`GANTrainer` plus MSGAN's mode-seeking term."""

from __future__ import annotations

import torch

from ..losses import mode_seeking
from .trainer import GANTrainer

__all__ = ["DiverseGANTrainer"]


class DiverseGANTrainer(GANTrainer):
    """GANTrainer with the mode-seeking term of MSGAN on the generator.

    Mao et al. [1]_: for two noise vectors of the same class, the generator pays
    ``|z1 - z2| / |G(z1) - G(z2)|`` (see :func:`ganaug.losses.mode_seeking`), so
    that it cannot map every noise vector of a class to the same image (which a
    conditional generator trained on a few dozen images per class otherwise does).

    Attributes
    ----------
    diversity_weight : float
        Weight of the term in the generator's loss; 0 turns it off.

    References
    ----------
    .. [1] Q. Mao, H.-Y. Lee, H.-Y. Tseng, S. Ma, M.-H. Yang, "Mode Seeking
       Generative Adversarial Networks for Diverse Image Synthesis", CVPR 2019.
    """

    diversity_weight: float = 1.0

    def generator_step(self, y: torch.Tensor) -> dict[str, float] | None:
        """One generator update on pairs of samples of the same classes."""
        half = len(y) // 2
        if half == 0 or self.diversity_weight <= 0:
            return super().generator_step(y)
        return super().generator_step(torch.cat([y[:half], y[:half]]))

    def generator_objective(
        self, z: torch.Tensor, y: torch.Tensor, fake: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The usual loss plus the mode-seeking term on the pairs of ``generator_step``."""
        loss, metrics = super().generator_objective(z, y, fake)
        if len(y) // 2 == 0 or self.diversity_weight <= 0:
            return loss, metrics
        seeking = mode_seeking(z, fake)
        metrics["ms_g"] = seeking.detach()
        return loss + self.diversity_weight * seeking, metrics
