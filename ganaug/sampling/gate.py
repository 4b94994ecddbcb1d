"""The label-fidelity gate of ``filter_samples``, and the features it reads.

Both work on features that need no pretrained weights: the tabular model's own
encoding of a table (one-hot categories, normalised numbers), or raw pixels for
images (average-pooled to at most 16x16 so that a linear model stays fast).

- :class:`LabelGate`: a classifier trained on the real training data reads each
  synthetic sample; samples it assigns to another class are rejected and drawn
  again (``filter_samples=True``).

The per-class report (``quality_report``) lives in :mod:`ganaug.evaluation`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch.nn import functional as F

from .._scalars import plain
from ..inputs.images import CheckedImages

__all__ = [
    "LabelGate",
    "concat",
    "features",
    "fit_gate",
    "gated_draw",
    "gated_generate",
    "real_features",
    "take",
]

# Rounds of redrawing rejected samples before a class is given up on.
MAX_ROUNDS = 10
_POOLED_SIDE = 16


def features(model: Any, samples: Any) -> np.ndarray:
    """Numeric features of samples in model space (a DataFrame or an image tensor)."""
    if isinstance(samples, torch.Tensor):
        x = samples.float()
        h, w = x.shape[-2:]
        if h > _POOLED_SIDE or w > _POOLED_SIDE:
            x = F.adaptive_avg_pool2d(x, (min(h, _POOLED_SIDE), min(w, _POOLED_SIDE)))
        return x.flatten(1).numpy().astype(np.float64)
    return np.asarray(model.encoder.transform(samples), dtype=np.float64)


def take(samples: Any, rows: np.ndarray) -> Any:
    """Rows of a DataFrame or tensor."""
    if isinstance(samples, pd.DataFrame):
        return samples.iloc[rows].reset_index(drop=True)
    return samples[torch.as_tensor(rows, dtype=torch.long)]


def concat(parts: list[Any]) -> Any:
    """Concatenate DataFrames or tensors along the sample axis."""
    if isinstance(parts[0], pd.DataFrame):
        return pd.concat(parts, axis=0, ignore_index=True)
    return torch.cat(parts)


def _classifier(seed: int) -> Any:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=seed))


class LabelGate:
    """A classifier of the real data that accepts a synthetic sample if it agrees on its class.

    Parameters
    ----------
    seed : int
        Seed of the classifier.
    """

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, X: np.ndarray, y_idx: np.ndarray) -> LabelGate:
        """Train on real features ``X`` of classes ``y_idx``."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence warnings on tiny classes
            self.classifier_ = _classifier(self.seed).fit(X, y_idx)
        return self

    def accept(self, X: np.ndarray, y_idx: np.ndarray) -> np.ndarray:
        """Boolean mask: the classifier reads class ``y_idx`` in each row of ``X``."""
        if len(X) == 0:
            return np.zeros(0, dtype=bool)
        return self.classifier_.predict(X) == y_idx

    # -- persistence (see ganaug/_persistence.py) ------------------------------------

    def get_state(self) -> dict[str, Any]:
        """The seed and the fitted numbers of each step (scaler, logistic regression).

        Plain values (numbers and arrays), no pickled estimator: the model file
        stores them as JSON under ``"__label_gate__"``.
        """
        return {
            "seed": self.seed,
            "steps": [
                {k: v for k, v in vars(step).items() if k.endswith("_") and not k.startswith("_")}
                for _, step in self.classifier_.steps
            ],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> LabelGate:
        """Rebuild a gate saved by :meth:`get_state`: fresh steps given the saved numbers."""
        gate = cls(state["seed"])
        classifier = _classifier(gate.seed)
        if len(classifier.steps) != len(state["steps"]):
            raise ValueError("the label filter in the file does not match this ganaug's")
        for (_, step), fitted in zip(classifier.steps, state["steps"]):
            for name, value in fitted.items():
                setattr(step, name, value)
        gate.classifier_ = classifier
        return gate


def gated_generate(
    generate: Callable[[np.ndarray, torch.Generator], Any],
    featurize: Callable[[Any], np.ndarray],
    gate: LabelGate,
    y_idx: np.ndarray,
    rng: torch.Generator,
    n_classes: int,
    max_rounds: int = MAX_ROUNDS,
) -> tuple[Any, np.ndarray, dict[int, float]]:
    """Draw samples of classes ``y_idx`` and redraw those the gate rejects.

    Returns
    -------
    samples, labels
        Accepted samples and their class indices, ordered by class as ``y_idx``
        asks; a class that cannot be filled in ``max_rounds`` comes back short
        (with a warning).
    rejection_rate : dict
        Share of drawn samples rejected, per class index drawn.
    """
    wanted = np.bincount(y_idx, minlength=n_classes)
    kept: dict[int, list[Any]] = {c: [] for c in range(n_classes)}
    have = np.zeros(n_classes, dtype=np.int64)
    drawn = np.zeros(n_classes, dtype=np.int64)
    rejected = np.zeros(n_classes, dtype=np.int64)
    for _ in range(max_rounds):
        missing = wanted - have
        if not missing.any():
            break
        # ask for more than is missing, in proportion to what was rejected so far
        rate = np.where(drawn > 0, rejected / np.maximum(drawn, 1), 0.0)
        ask = np.where(missing > 0, np.ceil(missing / np.maximum(1 - rate, 0.1)), 0).astype(
            np.int64
        )
        batch_y = np.repeat(np.arange(n_classes), ask)
        samples = generate(batch_y, rng)
        ok = gate.accept(featurize(samples), batch_y)
        for c in np.flatnonzero(ask):
            rows = np.flatnonzero((batch_y == c) & ok)[: missing[c]]
            drawn[c] += ask[c]
            rejected[c] += int(((batch_y == c) & ~ok).sum())
            if len(rows):
                kept[c].append(take(samples, rows))
                have[c] += len(rows)
    short = np.flatnonzero(have < wanted)
    if len(short):
        warnings.warn(
            f"The label-fidelity filter could not fill class index(es) {short.tolist()} in "
            f"{max_rounds} rounds ({(wanted - have)[short].tolist()} samples short): the "
            "classifier of the real data reads most of their synthetic samples as another "
            "class. Train longer (max_steps) or set filter_samples=False.",
            UserWarning,
            stacklevel=3,
        )
    # the caller's order: y_idx lists classes in the order it asked for them
    order = list(dict.fromkeys(int(c) for c in y_idx))
    parts = [p for c in order for p in kept[c]]
    labels = np.concatenate(
        [np.full(have[c], c, dtype=np.int64) for c in order] or [np.zeros(0, np.int64)]
    )
    samples = concat(parts) if parts else generate(np.zeros(0, dtype=np.int64), rng)
    rates = {c: float(rejected[c] / drawn[c]) for c in range(n_classes) if drawn[c] > 0}
    return samples, labels, rates


# -- what the estimator calls ----------------------------------------------------------

# Real images per class read from a Dataset to train the gate's classifier.
_GATE_IMAGES_PER_CLASS = 500
# Samples per class drawn after fit to measure the gate's rejection rate.
_GATE_PROBE = 100


# Images read from a Dataset at a time: as many as a training batch at most.
_READ_CHUNK = 256


def real_features(
    model: Any, checked: Any, y_idx: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`features` of the real training samples, and their class indices.

    From a Dataset, at most ``_GATE_IMAGES_PER_CLASS`` random images per class,
    read and pooled ``_READ_CHUNK`` at a time: never the whole Dataset at once.
    """
    if not isinstance(checked, CheckedImages):
        return features(model, checked.frame), y_idx
    if checked.images is not None:
        return features(model, checked.images), y_idx
    rng = np.random.default_rng(seed)
    rows = np.sort(
        np.concatenate(
            [
                rng.permutation(np.flatnonzero(y_idx == c))[:_GATE_IMAGES_PER_CLASS]
                for c in np.unique(y_idx)
            ]
        )
    )
    chunks = [
        features(model, checked.stream.load(rows[start : start + _READ_CHUNK]))
        for start in range(0, len(rows), _READ_CHUNK)
    ]
    return np.concatenate(chunks), y_idx[rows]


def fit_gate(
    model: Any,
    checked: Any,
    y_idx: np.ndarray,
    classes: np.ndarray,
    seed: int,
    *,
    enabled: bool,
    verbose: int = 0,
) -> tuple[LabelGate | None, dict[Any, float] | None]:
    """The label-fidelity gate of ``filter_samples=True``, and its rejection rates.

    Parameters
    ----------
    model : TabularGAN or ImageGAN
        The trained model.
    checked : CheckedTable or CheckedImages
        The training data.
    y_idx : ndarray of int
        Class index of each training sample.
    classes : ndarray
        The class labels.
    seed : int
        Seed of the classifier and of the probe draw.
    enabled : bool
        ``filter_samples``; without it there is no gate.
    verbose : int, default=0
        Print the rejection rates when > 0.

    Returns
    -------
    gate : LabelGate or None
    rejection_rate : dict or None
        Per class label, the share of a probe draw of 100 samples per class that
        the gate rejects; None without a gate.
    """
    if not enabled:
        return None, None
    n_classes = len(classes)
    real, y_real = real_features(model, checked, y_idx, seed)
    gate = LabelGate(seed).fit(real, y_real)
    rng = torch.Generator(device=model.device)
    rng.manual_seed(seed)
    probe = np.repeat(np.arange(n_classes), _GATE_PROBE)
    samples = model.generate(probe, rng)
    ok = gate.accept(features(model, samples), probe)
    rates = _by_label(classes, {c: float(1 - ok[probe == c].mean()) for c in range(n_classes)})
    if verbose > 0:
        shown = ", ".join(f"{k!r}: {v:.1%}" for k, v in rates.items())
        print(f"ganaug: the label filter rejects per class {{{shown}}}")
    return gate, rates


def _by_label(classes: np.ndarray, rates: dict[int, float]) -> dict[Any, float]:
    return {plain(classes[c]): r for c, r in rates.items()}


def gated_draw(
    model: Any,
    gate: LabelGate,
    y_idx: np.ndarray,
    rng: torch.Generator,
    classes: np.ndarray,
    generate: Callable[[np.ndarray, torch.Generator], Any] | None = None,
) -> tuple[Any, np.ndarray, dict[Any, float]]:
    """Generate samples of classes ``y_idx`` through ``gate``.

    ``generate`` draws the candidates (the model's own ``generate`` by default;
    the realism filter's draw when it is on).

    Returns
    -------
    samples, labels
        As :func:`gated_generate` returns them.
    rejection_rate : dict
        Per class label drawn, the share of this draw's samples the gate rejected.
    """
    samples, labels, rates = gated_generate(
        generate or model.generate,
        lambda s: features(model, s),
        gate,
        y_idx,
        rng,
        len(classes),
    )
    return samples, labels, _by_label(classes, rates)
