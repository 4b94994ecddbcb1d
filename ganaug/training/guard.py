"""What keeps GAN training from failing silently: recovery and the collapse check.

:class:`TrainingGuard` belongs to one :class:`ganaug.training.trainer.GANTrainer`.
It keeps the last good state of the networks (a recent critic and classifier
snapshot, and the generator pair that last passed a health check). After a
failed step it restores that state and halves the learning rate, with a
warning; after ``max_recoveries`` such events it raises
:class:`TrainingDivergedError`. Its health check draws a few samples per class
from the moving-average generator and calls a class collapsed when they spread
far less than the class's real samples do.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import Any, Protocol

import torch
from torch import nn

__all__ = ["BatchSource", "TrainingDivergedError", "TrainingGuard", "class_spread"]

BatchSource = Callable[[torch.Generator], tuple[torch.Tensor, torch.Tensor]]

# Rows of real data the collapse check's yardstick is measured on.
_SPREAD_ROWS = 8192
# Classes with fewer real rows than this are not checked for collapse.
_MIN_ROWS_CHECKED = 5


class TrainingDivergedError(RuntimeError):
    """Training kept producing non-finite values after every recovery attempt."""


class Guarded(Protocol):
    """What the guard uses of its trainer (a :class:`GANTrainer`)."""

    generator: nn.Module
    critic: nn.Module
    classifier: nn.Module | None
    ema: nn.Module
    config: Any
    device: torch.device
    latent_dim: int
    steps_done: int
    learning_rate: float

    def make_optimizers(self) -> None:
        """Fresh optimizers at the current learning rate."""


class TrainingGuard:
    """Last good state, recovery and health check of one trainer.

    Creating the guard snapshots the trainer's networks as they are.

    Parameters
    ----------
    trainer : GANTrainer
        The trainer whose networks, learning rate and optimizers the guard
        restores; its ``config`` gives ``max_recoveries`` and ``collapse_ratio``.

    Attributes
    ----------
    recoveries : int
        Recoveries so far (from non-finite steps and failed health checks).
    real_spread : Tensor of shape (n_classes,) or None
        Each class's spread in the real data (NaN for a class not checked);
        None until :meth:`measure_real_spread` ran, and the check passes then.
    """

    def __init__(self, trainer: Guarded) -> None:
        self.trainer = trainer
        self.recoveries = 0
        self.real_spread: torch.Tensor | None = None
        self.snapshot()
        self.snapshot_generator()

    # -- last good state and recovery -----------------------------------------------

    def snapshot(self) -> None:
        """Remember the critic and the classifier as they are now."""
        t = self.trainer
        self._good_critic = copy.deepcopy(t.critic.state_dict())
        self._good_classifier = (
            copy.deepcopy(t.classifier.state_dict()) if t.classifier is not None else None
        )

    def snapshot_generator(self) -> None:
        """Remember the generator and its moving average as they pass a health check."""
        self._good_generator = copy.deepcopy(self.trainer.generator.state_dict())
        self._good_ema = copy.deepcopy(self.trainer.ema.state_dict())

    def recover(
        self, reason: str = "non-finite losses or gradients", unhealthy: bool = False
    ) -> None:
        """Return to the last good state with half the learning rate.

        After a non-finite step the moving average is the last good generator; when
        the moving average itself failed a health check (``unhealthy``), both go
        back to the pair that last passed one. Warns at the caller of the
        trainer's method that called this one.

        Raises
        ------
        TrainingDivergedError
            On the recovery after ``max_recoveries`` of them.
        """
        t = self.trainer
        self.recoveries += 1
        if self.recoveries > t.config.max_recoveries:
            raise TrainingDivergedError(
                f"Training went wrong {self.recoveries} times (last: {reason} at step "
                f"{t.steps_done}) despite restoring the last good state and lowering "
                "the learning rate each time. Try a smaller learning_rate, or check the "
                "data for extreme values."
            )
        if not unhealthy and _all_finite(t.ema):
            t.generator.load_state_dict(t.ema.state_dict())
        else:
            # the moving average itself went bad: back to the last checked-healthy pair
            t.generator.load_state_dict(self._good_generator)
            t.ema.load_state_dict(self._good_ema)
        t.critic.load_state_dict(self._good_critic)
        if t.classifier is not None and self._good_classifier is not None:
            t.classifier.load_state_dict(self._good_classifier)
        t.learning_rate /= 2
        t.make_optimizers()
        warnings.warn(
            f"{reason[0].upper()}{reason[1:]} at step {t.steps_done}; restored the last "
            f"good generator and critic and lowered the learning rate to "
            f"{t.learning_rate:.2e}.",
            RuntimeWarning,
            stacklevel=3,
        )

    # -- health ---------------------------------------------------------------------

    def measure_real_spread(self, batches: BatchSource) -> None:
        """Each class's spread in the real data, the yardstick of the collapse check.

        Parameters
        ----------
        batches : callable
            The training batches. A source with ``data`` and ``labels`` tensors
            is measured directly (on at most 8192 random rows); another one is
            measured on a few batches drawn from a private random generator, so
            that the training stream is the same whether or not the check runs.
        """
        data, labels = getattr(batches, "data", None), getattr(batches, "labels", None)
        if not (isinstance(data, torch.Tensor) and isinstance(labels, torch.Tensor)):
            rng = torch.Generator(device=self.trainer.device)
            rng.manual_seed(0)
            data, labels = (torch.cat(t) for t in zip(*(batches(rng) for _ in range(8))))
        elif len(labels) > _SPREAD_ROWS:
            rng = torch.Generator(device=labels.device)
            rng.manual_seed(0)
            rows = torch.randperm(len(labels), generator=rng, device=labels.device)[:_SPREAD_ROWS]
            data, labels = data[rows], labels[rows]
        n_classes = max(int(getattr(self.trainer.generator, "n_classes", 0)), int(labels.max()) + 1)
        spread, counts = class_spread(data, labels, n_classes)
        # classes with a handful of rows (or identical rows) may rightly give
        # near-identical samples: they are not checked
        spread[(counts < _MIN_ROWS_CHECKED) | ~(spread > 0)] = float("nan")
        self.real_spread = spread

    @torch.no_grad()
    def check_health(self) -> str | None:
        """None when the moving-average generator is healthy, else what is wrong.

        Draws a few samples per class (with a private random generator seeded
        with the step count) and checks that they are finite and that no class
        has collapsed: a class's samples spread less than ``collapse_ratio``
        times its real samples do.
        """
        if self.real_spread is None:
            return None
        t = self.trainer
        checked = torch.nonzero(~torch.isnan(self.real_spread)).flatten()
        n_classes = len(self.real_spread)
        per_class = max(8, min(64, 512 // max(len(checked), 1)))
        y = checked.to(t.device).repeat_interleave(per_class)
        if len(y) == 0:
            y = torch.arange(n_classes, device=t.device).repeat_interleave(2)
        rng = torch.Generator(device=t.device)
        rng.manual_seed(t.steps_done)
        z = torch.randn(len(y), t.latent_dim, generator=rng, device=t.device)
        samples = t.ema(z, y, generator=rng)
        if not torch.isfinite(samples).all():
            return "non-finite samples from the moving-average generator"
        if len(checked) == 0:
            return None
        spread, _ = class_spread(samples, y, n_classes)
        ratio = spread.cpu()[checked.cpu()] / self.real_spread[checked.cpu()]
        collapsed = checked.cpu()[ratio < t.config.collapse_ratio].tolist()
        if collapsed:
            return (
                f"a collapsed generator (the samples of class index {collapsed} are all alike, "
                f"spread {float(ratio.min()):.3g} of the real one)"
            )
        return None

    def guard_health(self) -> None:
        """Check health: remember the generator pair if healthy, else recover."""
        problem = self.check_health()
        if problem is None:
            self.snapshot_generator()
            return
        self.recover(problem, unhealthy=True)


def _all_finite(module: nn.Module) -> bool:
    """Whether every parameter of ``module`` is finite (one fused norm, one sync)."""
    tensors = [p.detach() for p in module.parameters()]
    return not tensors or bool(torch.isfinite(torch.stack(torch._foreach_norm(tensors))).all())


def class_spread(
    x: torch.Tensor, y: torch.Tensor, n_classes: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per class: the mean over features of the standard deviation over samples.

    Parameters
    ----------
    x : Tensor of shape (n, ...)
        Samples in model space.
    y : Tensor of shape (n,)
        Their class indices.
    n_classes : int
        Length of the outputs.

    Returns
    -------
    spread : Tensor of shape (n_classes,)
        On the CPU, float64; NaN for classes with fewer than two samples.
    counts : Tensor of shape (n_classes,)
        Samples per class.
    """
    flat = x.detach().flatten(1).double().cpu()
    y = y.cpu()
    counts = torch.bincount(y, minlength=n_classes).double()
    sums = torch.zeros(n_classes, flat.shape[1], dtype=torch.float64).index_add_(0, y, flat)
    means = sums / counts.clamp_min(1)[:, None]
    sq = torch.zeros_like(sums).index_add_(0, y, (flat - means[y]) ** 2)
    std = (sq / (counts - 1).clamp_min(1)[:, None]).sqrt().mean(dim=1)
    std[counts < 2] = float("nan")
    return std, counts
