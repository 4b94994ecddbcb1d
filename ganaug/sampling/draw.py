"""One draw of synthetic samples through the fitted filters: realism, then labels."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import torch

from .gate import LabelGate, features, gated_draw, take
from .realism import RealismFilter, filtered_generate

__all__ = ["draw_samples"]


def draw_samples(
    model: Any,
    y_idx: np.ndarray,
    seed: int,
    device: torch.device,
    classes: np.ndarray,
    realism: RealismFilter | None = None,
    gate: LabelGate | None = None,
) -> tuple[Any, np.ndarray, dict[Any, float]]:
    """Samples of classes ``y_idx`` (indices) from a fitted model, in model space.

    Parameters
    ----------
    model : TabularGAN or ImageGAN
    y_idx : ndarray of int
        The class index of each sample asked for, grouped by class.
    seed : int
        Seed of the draw (a torch generator on ``device``).
    device : torch.device
        Where the model lives.
    classes : ndarray
        The class labels, for the gate's rejection rates.
    realism : RealismFilter, optional
        With it, candidates come from its selection among a larger pool.
    gate : LabelGate, optional
        With it, candidates of another class (to its classifier) are drawn again.

    Returns
    -------
    samples : DataFrame or Tensor
    y_idx : ndarray of int
        Their class indices, as many per class as asked.
    rejection_rate : dict
        Per class label, the share the gate rejected in this draw; empty without one.
    """
    rng = torch.Generator(device=device)
    rng.manual_seed(seed)
    generate = model.generate
    if realism is not None:
        featurize = partial(features, model)
        generate = partial(filtered_generate, generate, featurize, realism, take=take)
    if gate is None:
        return generate(y_idx, rng), y_idx, {}
    return gated_draw(model, gate, y_idx, rng, classes, generate)
