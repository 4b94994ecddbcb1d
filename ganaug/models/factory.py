"""The models for a checked input: built, or continued, and trained.

The estimator has one training path for tables and images; what differs
between them is chosen here, from the kind of checked input: the model class,
its settings (``"auto"`` values resolved by ``TabularSettings.from_params`` and
``ImageSettings.from_params``), and what only tables have: rules, the warning
about tiny classes, and the realism filter. The label gate is fitted for both.

Every function takes values and returns values; ``params`` is the estimator's
parameters as a namespace (``GANAugmenter.get_params()``), never the estimator.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from functools import partial
from typing import Any

import numpy as np
import torch

from ..inputs.images import CheckedImages
from ..inputs.labels import warn_tiny_classes
from ..inputs.table import CheckedTable
from ..sampling.entities import fit_key_tables
from ..sampling.gate import LabelGate, features, fit_gate
from ..sampling.realism import RealismFilter, train_realism_filter
from ..sampling.rule_checks import fit_rules
from ..sampling.rule_kinds import Rule
from ..training.trainer import Callback
from .image import ImageGAN, ImageSettings
from .image_fit import fit_image_model
from .tabular import TabularGAN, TabularSettings, default_tabular_steps

__all__ = ["fit_filters", "fit_model", "fit_table_rules"]

Rules = tuple[list[Rule], dict[Hashable, dict[str, Any]]]


def fit_table_rules(
    checked: CheckedTable | CheckedImages, params: Any, classes: np.ndarray, y_idx: np.ndarray
) -> Rules:
    """Tables: warn about tiny classes, then check and discover the rules before training.

    Returns the rules and their numbers (see
    :func:`ganaug.sampling.rule_checks.fit_rules`); none for images, which
    refuse rules.
    """
    if isinstance(checked, CheckedImages):
        if params.rules:
            raise ValueError(
                f"rules={params.rules!r} were given for images; rules apply to tables only."
            )
        return [], {}
    warn_tiny_classes(classes, np.bincount(y_idx, minlength=len(classes)))
    return fit_rules(
        checked.frame, checked.info.categorical, params.rules, params.discover_rules, y_idx
    )


def fit_model(
    model: TabularGAN | ImageGAN | None,
    checked: CheckedTable | CheckedImages,
    y_idx: np.ndarray,
    n_classes: int,
    params: Any,
    seeds: Sequence[int],
    device: torch.device,
    callbacks: Sequence[Callback],
    rules: Rules = ([], {}),
) -> TabularGAN | ImageGAN:
    """Build (unless ``model`` continues) and train the model for ``checked``; returns it.

    Parameters
    ----------
    model : TabularGAN, ImageGAN or None
        The fitted model to train on (``warm_start``), or None for a new one.
    checked : CheckedTable or CheckedImages
        The training data; its kind picks the model.
    y_idx : ndarray of int
        Class index of each training sample.
    n_classes : int
    params : SimpleNamespace
        Read for ``max_steps``, ``verbose`` and what ``Settings.from_params`` reads.
    seeds : sequence of int
        The fit's seeds: the first builds the networks, the second trains.
    device : torch.device
    callbacks : list of Callback
        Given to a new model's trainer.
    rules : (rules, numbers)
        Tables: from :func:`fit_table_rules`.
    """
    n_steps = None if params.max_steps == "auto" else int(params.max_steps)
    if isinstance(checked, CheckedImages):
        settings = ImageSettings.from_params(params)
        return fit_image_model(
            model,
            checked,
            y_idx,
            n_classes,
            settings,
            n_steps,
            seeds,
            device,
            params.verbose,
            callbacks,
        )
    if model is None:
        model = TabularGAN(TabularSettings.from_params(params), checked.info.categorical)
        model.build(checked.frame, n_classes, int(seeds[0]), device, callbacks)
    model.set_rules(*rules)
    # keys are found with the rules, and from the same training rows
    if params.discover_rules:
        model.set_keys(fit_key_tables(checked.frame, y_idx, checked.info.categorical))
    else:
        model.set_keys(None)
    if n_steps is None:
        n_steps = default_tabular_steps(len(checked.frame))
    model.train(checked.frame, y_idx, n_steps, params.verbose, int(seeds[1]))
    return model


def fit_filters(
    model: TabularGAN | ImageGAN,
    checked: CheckedTable | CheckedImages,
    y_idx: np.ndarray,
    classes: np.ndarray,
    seed: int,
    device: torch.device,
    params: Any,
) -> tuple[RealismFilter | None, LabelGate | None, dict[Any, float] | None]:
    """The filters of a trained model, each refitted after every fit (it judges the
    generator as it is now).

    Returns
    -------
    realism : RealismFilter or None
        With ``realism_filter`` and a table (the filter is for tables only).
    gate : LabelGate or None
        With ``filter_samples=True``, or ``"auto"`` and images.
    rejection_rate : dict or None
        The gate's rejection rate per class label; None without a gate.
    """
    realism = None
    if params.realism_filter and isinstance(checked, CheckedTable):
        realism = train_realism_filter(
            model.generate,
            partial(features, model),
            features(model, checked.frame),
            y_idx,
            len(classes),
            # a stream of its own, derived from the fit's third seed
            int(np.random.SeedSequence(seed, spawn_key=(0,)).generate_state(1)[0]),
            device,
        )
    # "auto": the gate for images only. On the image benchmarks (5 seeds) it raised label
    # fidelity to 0.97-0.985 (from 0.86-0.96) and balanced accuracy by +0.006 (MNIST-size
    # digits) and +0.010 (RGB shapes), -0.002 on 8x8 digits (benchmarks/BENCHMARKS.md);
    # tables keep their realism filter alone
    gated = params.filter_samples is True or (
        params.filter_samples == "auto" and isinstance(checked, CheckedImages)
    )
    gate, rates = fit_gate(
        model, checked, y_idx, classes, seed, enabled=gated, verbose=params.verbose
    )
    return realism, gate, rates
