"""The estimator's parameters: what scikit-learn's validation accepts, and what it cannot say."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import torch
from imblearn.over_sampling.base import BaseOverSampler
from sklearn.utils._param_validation import Interval, StrOptions

__all__ = ["PARAMETER_CONSTRAINTS", "check_hidden_units"]

# GANAugmenter._parameter_constraints: scikit-learn checks these on every fit.
PARAMETER_CONSTRAINTS: dict[str, list[Any]] = {
    **BaseOverSampler._parameter_constraints,
    "model": [StrOptions({"auto", "tabular", "image"})],
    "categorical_features": ["array-like", None],
    "max_steps": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
    "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
    "n_critic": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "latent_dim": [Interval(Integral, 1, None, closed="left")],
    "hidden_units": [tuple, list],
    "loss": [StrOptions({"auto", "wgan-gp", "hinge", "bce"})],
    "aux_weight": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
    "moment_matching": ["boolean"],
    "truncation": [Interval(Real, 0, 1, closed="right"), StrOptions({"auto"})],
    "device": [str, torch.device],
    "mixed_precision": [StrOptions({"auto"}), "boolean"],
    "n_jobs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"}), None],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "callbacks": [list, None],
    "image_layout": [StrOptions({"auto", "NHW", "NHWC", "NCHW"})],
    "filter_samples": [StrOptions({"auto"}), "boolean"],
    "realism_filter": ["boolean"],
    "rules": [list, tuple, None],
    "discover_rules": ["boolean"],
}


def check_hidden_units(units: Any) -> None:
    """Raise ``ValueError`` unless ``units`` (a tuple or list) holds positive ints.

    The constraints above only say "a tuple or a list"; what it holds is checked here.
    """
    if len(units) == 0 or not all(
        isinstance(u, Integral) and not isinstance(u, bool) and u > 0 for u in units
    ):
        raise ValueError(f"hidden_units must be a non-empty tuple of positive ints, got {units!r}.")
