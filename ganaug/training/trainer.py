"""The GAN training loop, shared by the tabular and the image model.

:class:`GANTrainer` owns the generator, the critic, an optional auxiliary
classifier, their optimizers, the moving-average copy of the generator used for
sampling, the random generator and the history. One call of :meth:`GANTrainer.train`
runs a number of generator steps, each after ``n_critic`` critic steps; a later
call continues where the last stopped (``warm_start``).

Training cannot fail silently: a non-finite loss or gradient skips the update,
and the trainer's :class:`~ganaug.training.guard.TrainingGuard` restores the last
good state, halves the learning rate and goes on with a warning (after
``max_recoveries`` such events it raises); the guard's health check catches a
collapsed or non-finite moving-average generator the same way. Ctrl-C stops
training, keeps the moving-average generator and warns how far training got.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from ..losses import critic_loss, generator_loss, gradient_penalty
from ..precision import LossScaler, autocast, float32_parametrizations, portable_precision
from .guard import BatchSource, TrainingDivergedError, TrainingGuard

__all__ = [
    "Callback",
    "GANTrainer",
    "TrainingConfig",
    "TrainingDivergedError",
    "weights_under",
]

# Where GANTrainer.state_tensors stores each network's weights, by attribute.
STATE_PREFIXES = {
    "generator": "generator",
    "critic": "critic",
    "classifier": "classifier",
    "ema": "ema",
}


def weights_under(tensors: Mapping[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The tensors stored as ``"prefix.name"``, keyed by ``name`` (a module's state dict)."""
    start = len(prefix) + 1
    return {k[start:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}


@dataclass
class TrainingConfig:
    """Settings of one training run; the estimator derives them from its parameters."""

    batch_size: int
    n_critic: int = 5
    learning_rate: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.9)
    loss: str = "wgan-gp"
    gp_weight: float = 10.0
    aux_weight: float = 1.0
    ema_decay: float = 0.999
    max_recoveries: int = 5
    snapshot_every: int = 50
    # Collapse check: every `health_every` generator steps (and once at the end; 0
    # turns it off), the moving-average generator draws a few samples per class; a
    # class whose samples spread less than `collapse_ratio` times its real samples'
    # spread has collapsed. Healthy runs stay far above 0.02 (untrained generators
    # included); a collapsed class sits near 0.
    health_every: int = 50
    collapse_ratio: float = 0.02
    # Forward passes under autocast: "off", "bf16" or "fp16" (with a loss scaler);
    # see ganaug.precision. Only the image model turns it on.
    mixed_precision: str = "off"


class Callback:
    """Hooks called by :class:`GANTrainer`; override the ones you need."""

    def on_train_begin(self, trainer: GANTrainer) -> None:
        """Called before the first step of a :meth:`GANTrainer.train` call."""

    def on_step_end(self, trainer: GANTrainer, metrics: dict[str, float]) -> None:
        """Called after every generator step with that step's losses."""

    def on_train_end(self, trainer: GANTrainer) -> None:
        """Called once training stops, normally or not."""


class GANTrainer:
    """Adversarial training of a conditional generator against a conditional critic.

    Parameters
    ----------
    generator : nn.Module
        ``generator(z, y, generator=...)`` returning a batch of samples.
    critic : nn.Module
        ``critic(x, y)`` returning one score per sample.
    latent_dim : int
        Width of the noise vector.
    config : TrainingConfig
        Batch size, learning rate, loss and regularisation weights.
    device : torch.device
        Where the networks live.
    seed : int
        Seed of the trainer's own ``torch.Generator`` (noise, batches, penalty).
    classifier : nn.Module, optional
        Auxiliary classifier trained on real samples; the generator pays its
        cross-entropy on fake ones.
    augment : callable, optional
        ``augment(x, generator)``: differentiable augmentation applied to real and
        fake samples alike before the critic sees them.
    callbacks : sequence of Callback
        Hooks.

    Attributes
    ----------
    guard : TrainingGuard
        Keeps the last good state, recovers from failed steps and checks the
        moving-average generator for collapse.
    """

    def __init__(
        self,
        generator: nn.Module,
        critic: nn.Module,
        latent_dim: int,
        config: TrainingConfig,
        device: torch.device,
        seed: int,
        classifier: nn.Module | None = None,
        augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> None:
        self.generator = generator.to(device)
        self.critic = critic.to(device)
        self.classifier = classifier.to(device) if classifier is not None else None
        self.latent_dim = latent_dim
        self.config = config
        self.device = device
        self.augment = augment
        self.callbacks = list(callbacks)
        self.rng = torch.Generator(device=device)
        self.rng.manual_seed(seed)
        self.ema = copy.deepcopy(self.generator).eval().requires_grad_(False)
        self.learning_rate = config.learning_rate
        # a model fitted in fp16 on a GPU and loaded on a CPU trains on in float32
        self.precision = portable_precision(config.mixed_precision, device)
        self._scalers: dict[int, LossScaler] = {}
        self.make_optimizers()
        self.steps_done = 0
        self.history: list[dict[str, float]] = []
        self.interrupted = False
        self.guard = TrainingGuard(self)

    # -- pieces ---------------------------------------------------------------------

    @property
    def recoveries(self) -> int:
        """Recoveries so far (see :class:`~ganaug.training.guard.TrainingGuard`)."""
        return self.guard.recoveries

    def check_health(self) -> str | None:
        """None when the moving-average generator is healthy, else what is wrong.

        See :meth:`ganaug.training.guard.TrainingGuard.check_health`.
        """
        return self.guard.check_health()

    def make_optimizers(self) -> None:
        """Fresh optimizers (and fp16 loss scalers) at the current learning rate."""

        def adam(module: nn.Module) -> torch.optim.Optimizer:
            # fused: one kernel over all tensors, much cheaper than per-tensor
            # updates for small networks
            return torch.optim.Adam(
                module.parameters(), lr=self.learning_rate, betas=self.config.betas, fused=True
            )

        self.opt_g = adam(self.generator)
        self.opt_d = adam(self.critic)
        self.opt_c = adam(self.classifier) if self.classifier is not None else None
        if self.precision == "fp16":
            # one loss scale per network: their gradients differ in size
            opts = (self.opt_g, self.opt_d, self.opt_c)
            self._scalers = {id(o): LossScaler(self.device) for o in opts if o is not None}

    def autocast(self) -> Any:
        """The context forward passes of training run in (mixed precision or none)."""
        return autocast(self.precision, self.device)

    def _critic_weights(self) -> Any:
        # spectral norm cannot run under CUDA autocast: see float32_parametrizations
        return float32_parametrizations(self.critic, self.precision, self.device)

    def noise(self, n: int) -> torch.Tensor:
        """Standard normal noise from the trainer's generator."""
        return torch.randn(n, self.latent_dim, generator=self.rng, device=self.device)

    def _critic_view(self, x: torch.Tensor) -> torch.Tensor:
        return self.augment(x, self.rng) if self.augment is not None else x

    def critic_step(
        self, real: torch.Tensor, y: torch.Tensor, fake: torch.Tensor
    ) -> dict[str, float] | None:
        """One critic update on a real and a fake batch of classes ``y``; None if not finite."""
        real_v, fake_v = self._critic_view(real), self._critic_view(fake)
        n = len(y)
        with self._critic_weights():
            # one pass over both batches: half the per-call overhead of two
            with self.autocast():
                scores = self.critic(torch.cat([real_v, fake_v]), torch.cat([y, y]))
            scores = scores.float()  # losses reduce in float32 under mixed precision
            loss = critic_loss(self.config.loss, scores[:n], scores[n:])
            metrics = {"loss_d": loss.detach()}
            if self.config.loss == "wgan-gp":
                # a separate pass: differentiating through the joint pass above would
                # carry the double backward over all three batches; in float32, so that
                # the double backward is neither rounded nor left unscaled in fp16
                gp = gradient_penalty(self.critic, real_v.detach(), fake_v.detach(), y, self.rng)
                loss = loss + self.config.gp_weight * gp
                metrics["gp"] = gp.detach()
        if not self._update(self.opt_d, self.critic, loss):
            return None
        return {k: float(v) for k, v in metrics.items()}

    def classifier_step(self, real: torch.Tensor, y: torch.Tensor) -> dict[str, float] | None:
        """One update of the auxiliary classifier on real samples; None if not finite."""
        if self.classifier is None or self.opt_c is None:
            return {}
        with self.autocast():
            logits = self.classifier(real)
        aux = F.cross_entropy(logits.float(), y)
        if not self._update(self.opt_c, self.classifier, aux):
            return None
        return {"loss_c": float(aux.detach())}

    def generator_step(self, y: torch.Tensor) -> dict[str, float] | None:
        """One generator update; None if it was not finite."""
        z = self.noise(len(y))
        with self._critic_weights(), self.autocast():
            # float32 images: DiffAugment and the mode-seeking distances need the range
            fake = self.generator(z, y, generator=self.rng).float()
            loss, metrics = self.generator_objective(z, y, fake)
        if not self._update(self.opt_g, self.generator, loss):
            return None
        return {k: float(v) for k, v in metrics.items()}

    def generator_objective(
        self, z: torch.Tensor, y: torch.Tensor, fake: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The generator's loss on a fake batch and its parts (for the history).

        Subclasses add terms here (see ``ganaug.training.diverse.DiverseGANTrainer``).
        """
        scores = self.critic(self._critic_view(fake), y).float()
        loss = generator_loss(self.config.loss, scores)
        metrics = {"loss_g": loss.detach()}
        if self.classifier is not None and self.config.aux_weight > 0:
            aux = F.cross_entropy(self.classifier(fake).float(), y)
            loss = loss + self.config.aux_weight * aux
            metrics["aux_g"] = aux.detach()
        return loss, metrics

    def _update(
        self, optimizer: torch.optim.Optimizer, module: nn.Module, loss: torch.Tensor
    ) -> bool:
        """Backward and step, unless the loss or a gradient is not finite."""
        if not torch.isfinite(loss):
            optimizer.zero_grad(set_to_none=True)
            return False
        scaler = self._scalers.get(id(optimizer))
        if scaler is not None:
            return scaler.step(optimizer, module, loss)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grads = [p.grad for p in module.parameters() if p.grad is not None]
        if grads and not torch.isfinite(torch.stack(torch._foreach_norm(grads)).sum()):
            optimizer.zero_grad(set_to_none=True)
            return False
        optimizer.step()
        return True

    @torch.no_grad()
    def update_ema(self) -> None:
        """Move the sampling copy towards the generator.

        The decay ramps up over the first steps (as in the EMA of Karras et al.) so
        that a short run still samples from a trained generator, not its init.
        """
        t = self.steps_done
        decay = min(self.config.ema_decay, (1 + t) / (10 + t))
        for p_ema, p in zip(self.ema.parameters(), self.generator.parameters()):
            p_ema.lerp_(p, 1.0 - decay)
        for b_ema, b in zip(self.ema.buffers(), self.generator.buffers()):
            b_ema.copy_(b)

    # -- saving and loading ---------------------------------------------------------

    def state_tensors(
        self, prefixes: Mapping[str, str] = STATE_PREFIXES
    ) -> dict[str, torch.Tensor]:
        """CPU copies of the networks' weights, keyed ``"prefix.name"``, and the random state.

        ``prefixes`` maps the trainer's attributes (``generator``, ``critic``,
        ``classifier``, ``ema``) to the prefixes their weights are stored under;
        a network the trainer does not have is skipped.
        """
        tensors = {"trainer.rng": self.rng.get_state()}
        for attr, prefix in prefixes.items():
            module = getattr(self, attr)
            if module is not None:
                for key, value in module.state_dict().items():
                    tensors[f"{prefix}.{key}"] = value.detach().cpu().contiguous().clone()
        return tensors

    def load_state(
        self,
        tensors: Mapping[str, torch.Tensor],
        steps_done: int,
        history: Sequence[dict[str, float]],
        prefixes: Mapping[str, str] = STATE_PREFIXES,
    ) -> None:
        """Restore what :meth:`state_tensors` saved, with the step count and history.

        The loaded networks become the last good state that a recovery returns to.
        """
        for attr, prefix in prefixes.items():
            module = getattr(self, attr)
            if module is not None:
                module.load_state_dict(weights_under(tensors, prefix), strict=True)
        try:
            self.rng.set_state(tensors["trainer.rng"].to(torch.uint8).cpu())
        except RuntimeError:
            # a CUDA generator's state does not fit a CPU generator (fitted on GPU, loaded
            # on CPU): only continued training draws from it, so a fixed seed will do
            self.rng.manual_seed(int(steps_done))
        self.steps_done = int(steps_done)
        self.history = [dict(h) for h in history]
        self.guard.snapshot()
        self.guard.snapshot_generator()

    # -- the loop -------------------------------------------------------------------

    def train(self, batches: BatchSource, n_steps: int, verbose: int = 0) -> None:
        """Run ``n_steps`` generator steps.

        Parameters
        ----------
        batches : callable
            ``batches(generator)`` returns a ``(x, y)`` batch of real samples on the
            trainer's device.
        n_steps : int
            Generator steps to run (each after ``n_critic`` critic steps).
        verbose : int
            Show a progress bar with live losses when > 0.
        """
        self.interrupted = False
        for cb in self.callbacks:
            cb.on_train_begin(self)
        self.generator.train()
        self.critic.train()
        bar = tqdm(total=n_steps, disable=verbose <= 0, desc="ganaug", leave=False)
        target = self.steps_done + n_steps
        every = self.config.health_every
        try:
            if every > 0:
                self.guard.measure_real_spread(batches)
            while self.steps_done < target:
                metrics = self._one_step(batches)
                if metrics is None:
                    self.guard.recover()
                    continue
                self.steps_done += 1
                self.update_ema()
                metrics = {"step": float(self.steps_done), **metrics}
                self.history.append(metrics)
                if self.steps_done % self.config.snapshot_every == 0:
                    self.guard.snapshot()
                if every > 0 and self.steps_done % every == 0:
                    self.guard.guard_health()
                bar.update(1)
                if verbose > 0 and self.steps_done % 10 == 0:
                    bar.set_postfix(
                        {k: f"{v:.3f}" for k, v in metrics.items() if k.startswith("loss")}
                    )
                for cb in self.callbacks:
                    cb.on_step_end(self, metrics)
            if every > 0 and n_steps > 0 and self.steps_done % every != 0:
                # the samples come from the final moving average: check it too
                # (no snapshot: the run ends here; and the warning names train's caller)
                problem = self.guard.check_health()
                if problem is not None:
                    self.guard.recover(problem, unhealthy=True)
        except KeyboardInterrupt:
            self.interrupted = True
            warnings.warn(
                f"Training interrupted after {self.steps_done} of {target} steps; the "
                "estimator keeps the generator as it was and can sample. Call fit again "
                "with warm_start=True to continue.",
                UserWarning,
                stacklevel=2,
            )
        finally:
            bar.close()
            self.generator.eval()
            self.critic.eval()
            for cb in self.callbacks:
                cb.on_train_end(self)

    def _one_step(self, batches: BatchSource) -> dict[str, Any] | None:
        totals: dict[str, float] = {}
        n_critic = self.config.n_critic
        reals, labels = zip(*(batches(self.rng) for _ in range(n_critic)))
        # the fakes of all critic steps in one generator pass (the generator does not
        # change between critic steps)
        with torch.no_grad(), self.autocast():
            y_all = torch.cat(labels)
            fakes = self.generator(self.noise(len(y_all)), y_all, generator=self.rng).float()
        for i, (real, y) in enumerate(zip(reals, labels)):
            fake = fakes[i * len(y) : (i + 1) * len(y)]
            out = self.critic_step(real, y, fake)
            if out is None:
                return None
            for k, v in out.items():
                totals[k] = totals.get(k, 0.0) + v / n_critic
        # the classifier only needs to track the real data: once per generator step
        for out in (self.classifier_step(real, y), self.generator_step(y)):
            if out is None:
                return None
            totals.update(out)
        if not all(math.isfinite(v) for v in totals.values()):
            return None
        return totals
