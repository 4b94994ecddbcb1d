"""The tabular model's per-class corrections as tensors, to save and load them.

The corrections are fitted after training (``TabularGAN.train``) and hold
plain arrays; a saved model keeps them beside the network weights, under names
of their own, so that loading runs no pickled code.
"""

from __future__ import annotations

import numpy as np
import torch

from ..sampling.categories import CategoryMatcher
from ..sampling.corrections import MissingRateMatcher, MomentMatcher
from ..sampling.dependence import DependenceMatcher
from ..sampling.marginals import QuantileMatcher

__all__ = ["correction_tensors", "corrections_from_tensors"]

Corrections = tuple[
    QuantileMatcher | MomentMatcher | None,
    DependenceMatcher | None,
    MissingRateMatcher | None,
    CategoryMatcher | None,
]


def _tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(array, copy=True))


def correction_tensors(
    matcher: QuantileMatcher | MomentMatcher | None,
    dependence: DependenceMatcher | None,
    missing: MissingRateMatcher | None,
    categories: CategoryMatcher | None,
) -> dict[str, torch.Tensor]:
    """The fitted corrections' arrays by name, on the CPU (a correction that is None: none)."""
    tensors = {}
    if isinstance(matcher, QuantileMatcher):
        tensors["quantiles.synthetic"] = _tensor(matcher.synthetic_)
        tensors["quantiles.real"] = _tensor(matcher.real_)
    elif matcher is not None:  # a model fitted before quantile matching
        tensors["matcher.scale"] = _tensor(matcher.scale_)
        tensors["matcher.offset"] = _tensor(matcher.offset_)
    if dependence is not None:
        tensors["dependence.grid"] = _tensor(dependence.grid_)
        tensors["dependence.mix"] = _tensor(dependence.mix_)
    if missing is not None:
        tensors["missing.bias"] = _tensor(missing.bias_)
    if categories is not None:
        tensors["categories.bias"] = _tensor(categories.bias_)
    return tensors


def corrections_from_tensors(tensors: dict[str, torch.Tensor]) -> Corrections:
    """The corrections :func:`correction_tensors` wrote; None for each one a file lacks
    (files written before a correction existed have none of it)."""
    matcher: QuantileMatcher | MomentMatcher | None = None
    if "quantiles.real" in tensors:
        matcher = QuantileMatcher.from_arrays(
            tensors["quantiles.synthetic"].numpy(), tensors["quantiles.real"].numpy()
        )
    if "matcher.scale" in tensors:
        matcher = MomentMatcher()
        matcher.scale_ = tensors["matcher.scale"].numpy().astype(np.float64)
        matcher.offset_ = tensors["matcher.offset"].numpy().astype(np.float64)
    dependence = None
    if "dependence.grid" in tensors:
        dependence = DependenceMatcher.from_arrays(
            tensors["dependence.grid"].numpy(), tensors["dependence.mix"].numpy()
        )
    missing = None
    if "missing.bias" in tensors:
        missing = MissingRateMatcher()
        missing.bias_ = tensors["missing.bias"].numpy().astype(np.float64)
    categories = None
    if "categories.bias" in tensors:
        categories = CategoryMatcher()
        categories.bias_ = tensors["categories.bias"].numpy().astype(np.float64)
    return matcher, dependence, missing, categories
