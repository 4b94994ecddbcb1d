"""A realism filter: keep the synthetic rows a detector finds hardest to tell from real ones.

After the GAN is trained, a small classifier learns to tell real training rows
from synthetic rows drawn through the full sampling path, with the class as an
input. Its logit estimates the log density ratio ``log p_real(x|y) / p_syn(x|y)``
(the classes are balanced within each class). At sampling time a pool of
``pool_factor`` times the requested rows is drawn, and each class keeps its
requested number of rows without replacement, with probability proportional to
the clipped and tempered ratio (Gumbel top-k, with the caller's
``torch.Generator``, so draws stay repeatable). This is discriminator rejection
sampling [1]_ and classifier-based importance resampling [2]_ with a separate,
early-stopped classifier instead of the GAN's own critic: the WGAN critic's
scores are not calibrated probabilities.

References
----------
.. [1] S. Azadi, C. Olsson, T. Darrell, I. Goodfellow, A. Odena,
   "Discriminator Rejection Sampling", ICLR 2019.
.. [2] A. Grover, J. Song, A. Agarwal, K. Tran, A. Kapoor, E. Horvitz, S. Ermon,
   "Bias Correction of Learned Generative Models using Likelihood-Free
   Importance Weighting", NeurIPS 2019.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .._runtime import private_seed
from .._settings import settings_config, settings_from_config

__all__ = [
    "RealismFilter",
    "RealismSettings",
    "filtered_generate",
    "fit_realism_filter",
    "train_realism_filter",
]

# A class needs this many real rows to be filtered: fewer cannot train or
# validate a classifier, and its rows are kept at random from the pool.
MIN_CLASS_ROWS = 10
# Real rows per class used to train the filter: bounds its fit time on large tables.
_MAX_ROWS_PER_CLASS = 4000


@dataclass
class RealismSettings:
    """How the filter is trained and how strongly it selects.

    Parameters
    ----------
    pool_factor : int
        Synthetic rows drawn per row kept.
    temperature : float
        Divides the log density ratio: above 1 selects more gently.
    max_log_ratio : float
        The log ratio is clipped to ``[-max_log_ratio, max_log_ratio]`` so that
        a few rows the classifier is sure about cannot take every place.
    hidden_units : tuple of int
        Hidden layer widths of the classifier.
    holdout : float
        Share of the rows of each (class, real or synthetic) group held out to
        stop training early, so that the classifier does not memorise real rows.
    max_epochs, patience : int
        Epochs at most, and epochs without a better held-out loss before stopping.
    """

    pool_factor: int = 4
    temperature: float = 1.0
    max_log_ratio: float = 5.0
    hidden_units: Sequence[int] = (64, 64)
    holdout: float = 0.25
    max_epochs: int = 200
    patience: int = 10
    batch_size: int = 256
    learning_rate: float = 1e-3


class RealismCritic(nn.Module):
    """D(x, y): one logit per row, high for rows that look real for their class."""

    def __init__(self, n_features: int, n_classes: int, hidden: Sequence[int]) -> None:
        super().__init__()
        self.n_classes = n_classes
        layers: list[nn.Module] = []
        width = n_features + n_classes
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            width = h
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        # x: (n, n_features) encoded rows; y: (n,) class indices
        onehot = F.one_hot(y, self.n_classes).to(x.dtype)
        return self.net(torch.cat([x, onehot], dim=1)).squeeze(1)


class RealismFilter:
    """A trained real-vs-synthetic classifier and the settings that turn it into a selection.

    Parameters
    ----------
    settings : RealismSettings
    network : RealismCritic
    filtered : ndarray of bool, shape (n_classes,)
        Classes with enough real rows to be filtered; the others are kept at random.
    """

    def __init__(
        self, settings: RealismSettings, network: RealismCritic, filtered: np.ndarray
    ) -> None:
        self.settings = settings
        self.network = network.eval()
        self.filtered = np.asarray(filtered, dtype=bool)

    @torch.no_grad()
    def log_ratio(self, X: np.ndarray, y_idx: np.ndarray) -> np.ndarray:
        """Estimated ``log p_real / p_synthetic`` of each row, 0 for unfiltered classes."""
        device = next(self.network.parameters()).device
        out = []
        for start in range(0, len(X), 16384):
            # a copy: X may be a read-only view of a frame
            xb = torch.tensor(X[start : start + 16384], dtype=torch.float32, device=device)
            yb = torch.as_tensor(y_idx[start : start + 16384], dtype=torch.long, device=device)
            out.append(self.network(xb, yb).double().cpu().numpy())
        ratio = np.concatenate(out) if out else np.zeros(0)
        return np.where(self.filtered[y_idx], ratio, 0.0)

    def select(
        self, X: np.ndarray, y_pool: np.ndarray, y_idx: np.ndarray, rng: torch.Generator
    ) -> np.ndarray:
        """Rows of the pool to keep, in the order of ``y_idx``: each class gets its count.

        Sampling without replacement with probability proportional to
        ``exp(clip(log_ratio) / temperature)``, by adding Gumbel noise to the
        scores and keeping each class's largest (the Gumbel top-k trick).
        """
        s = self.settings
        score = np.clip(self.log_ratio(X, y_pool), -s.max_log_ratio, s.max_log_ratio)
        u = torch.rand(len(y_pool), generator=rng, device=rng.device, dtype=torch.float64)
        u = u.cpu().numpy().clip(1e-300, 1.0 - 1e-16)
        key = score / s.temperature - np.log(-np.log(u))
        chosen = np.empty(len(y_idx), dtype=np.int64)
        for c in np.unique(y_idx):
            pool = np.flatnonzero(y_pool == c)
            slots = np.flatnonzero(y_idx == c)
            best = pool[np.argsort(-key[pool], kind="stable")[: len(slots)]]
            # pool order, not realism order: the first rows a user reads are not special
            chosen[slots] = np.sort(best)
        return chosen

    # -- persistence (see ganaug/_persistence.py) ------------------------------------

    def get_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """JSON-able settings and the network's weights on the CPU."""
        first = self.network.net[0]
        config = {
            "settings": settings_config(self.settings),
            "n_features": int(first.in_features - self.network.n_classes),
            "n_classes": int(self.network.n_classes),
            "filtered": [bool(v) for v in self.filtered],
        }
        tensors = {k: v.detach().cpu() for k, v in self.network.state_dict().items()}
        return config, tensors

    @classmethod
    def from_state(
        cls, config: dict[str, Any], tensors: dict[str, torch.Tensor], device: torch.device
    ) -> RealismFilter:
        """Rebuild a filter saved by :meth:`get_state`; runs no pickled code."""
        settings = settings_from_config(RealismSettings, config["settings"])
        network = RealismCritic(config["n_features"], config["n_classes"], settings.hidden_units)
        network.load_state_dict(tensors)
        return cls(settings, network.to(device), np.asarray(config["filtered"], dtype=bool))


def _split(groups: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask of held-out rows: ``share`` of each group, at least one of groups of 4+."""
    held = np.zeros(len(groups), dtype=bool)
    for g in np.unique(groups):
        rows = rng.permutation(np.flatnonzero(groups == g))
        n = int(round(share * len(rows))) if len(rows) >= 4 else 0
        held[rows[: max(n, 1 if len(rows) >= 4 else 0)]] = True
    return held


def _train(
    network: RealismCritic,
    X: torch.Tensor,
    y: torch.Tensor,
    target: torch.Tensor,
    held: torch.Tensor,
    settings: RealismSettings,
    gen: torch.Generator,
) -> None:
    """Adam on the binary cross-entropy, keeping the weights with the best held-out loss."""
    optimizer = torch.optim.Adam(network.parameters(), lr=settings.learning_rate)
    train_rows = torch.nonzero(~held).squeeze(1)
    val_rows = torch.nonzero(held).squeeze(1)
    best, best_state, waited = float("inf"), None, 0
    for _ in range(settings.max_epochs):
        network.train()
        order = train_rows[torch.randperm(len(train_rows), generator=gen, device=gen.device)]
        for start in range(0, len(order), settings.batch_size):
            rows = order[start : start + settings.batch_size]
            loss = F.binary_cross_entropy_with_logits(network(X[rows], y[rows]), target[rows])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        if len(val_rows) == 0:
            continue
        network.eval()
        with torch.no_grad():
            val = float(
                F.binary_cross_entropy_with_logits(
                    network(X[val_rows], y[val_rows]), target[val_rows]
                )
            )
        if val < best - 1e-4:
            best, waited = val, 0
            best_state = {k: v.detach().clone() for k, v in network.state_dict().items()}
        else:
            waited += 1
            if waited >= settings.patience:
                break
    if best_state is not None:
        network.load_state_dict(best_state)
    network.eval()


def fit_realism_filter(
    real: np.ndarray,
    y_real: np.ndarray,
    synthetic: np.ndarray,
    y_synthetic: np.ndarray,
    n_classes: int,
    seed: int,
    device: torch.device,
    settings: RealismSettings | None = None,
) -> RealismFilter:
    """Train the filter on encoded real rows against encoded synthetic rows.

    Parameters
    ----------
    real, synthetic : ndarray of shape (n, n_features)
        Encoded rows; the synthetic ones should come through the full sampling
        path, so that the filter judges what users get. Give each class about
        as many synthetic rows as real ones: the classifier's odds then
        estimate the density ratio.
    y_real, y_synthetic : ndarray of shape (n,)
        Their class indices.
    n_classes : int
    seed : int
        Seeds the weights (in a private copy of torch's generator), the
        held-out split and the batch order.
    device : torch.device
    settings : RealismSettings, optional

    Returns
    -------
    RealismFilter
    """
    settings = settings or RealismSettings()
    counts = np.bincount(y_real, minlength=n_classes)
    filtered = counts >= MIN_CLASS_ROWS
    rng = np.random.default_rng(seed)
    keep_real = np.concatenate(
        [
            rng.permutation(np.flatnonzero(y_real == c))[:_MAX_ROWS_PER_CLASS]
            for c in np.flatnonzero(filtered)
        ]
        or [np.zeros(0, dtype=np.int64)]
    )
    keep_syn = np.flatnonzero(filtered[y_synthetic])
    X = np.concatenate([real[keep_real], synthetic[keep_syn]]).astype(np.float32)
    y = np.concatenate([y_real[keep_real], y_synthetic[keep_syn]]).astype(np.int64)
    target = np.r_[np.ones(len(keep_real)), np.zeros(len(keep_syn))].astype(np.float32)
    held = _split(y * 2 + target.astype(np.int64), settings.holdout, rng)
    with private_seed(seed):
        network = RealismCritic(real.shape[1], n_classes, tuple(settings.hidden_units))
    network = network.to(device)
    if len(X):
        gen = torch.Generator(device=device)
        gen.manual_seed(seed)
        tensors = [torch.as_tensor(a, device=device) for a in (X, y, target, held)]
        _train(network, *tensors, settings, gen)
    return RealismFilter(settings, network, filtered)


def filtered_generate(
    generate: Callable[[np.ndarray, torch.Generator], Any],
    featurize: Callable[[Any], np.ndarray],
    realism: RealismFilter,
    y_idx: np.ndarray,
    rng: torch.Generator,
    take: Callable[[Any, np.ndarray], Any],
) -> Any:
    """Draw a pool of ``pool_factor`` rows per requested row and keep the most realistic.

    Returns the rows of classes ``y_idx``, in that order, as ``generate`` does.
    """
    if len(y_idx) == 0:
        return generate(y_idx, rng)
    y_pool = np.tile(y_idx, realism.settings.pool_factor)
    pool = generate(y_pool, rng)
    return take(pool, realism.select(featurize(pool), y_pool, y_idx, rng))


def train_realism_filter(
    generate: Callable[[np.ndarray, torch.Generator], Any],
    featurize: Callable[[Any], np.ndarray],
    real: np.ndarray,
    y_real: np.ndarray,
    n_classes: int,
    seed: int,
    device: torch.device,
) -> RealismFilter:
    """Draw as many synthetic rows per class as there are real ones, then fit the filter.

    The filter has the default :class:`RealismSettings`, the ones the estimator
    uses; :func:`fit_realism_filter` takes others.

    Parameters
    ----------
    generate : callable
        ``generate(y_idx, rng)``: the full sampling path of the trained model.
    featurize : callable
        Encodes what ``generate`` returns as an ``(n, n_features)`` array.
    real : ndarray of shape (n, n_features)
        The encoded real training rows; ``y_real`` their class indices.
    n_classes, seed, device
        As for :func:`fit_realism_filter`; ``seed`` also seeds the draw.
    """
    counts = np.minimum(np.bincount(y_real, minlength=n_classes), _MAX_ROWS_PER_CLASS)
    counts[counts < MIN_CLASS_ROWS] = 0
    y_syn = np.repeat(np.arange(n_classes), counts)
    rng = torch.Generator(device=device)
    rng.manual_seed(seed)
    synthetic = featurize(generate(y_syn, rng))
    return fit_realism_filter(real, y_real, synthetic, y_syn, n_classes, seed, device)
