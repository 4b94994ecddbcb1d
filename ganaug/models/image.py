"""The image model: a conditional DCGAN trained with differentiable augmentation.

:class:`ImageGAN` knows float32 ``(N, C, H, W)`` tensors in ``[-1, 1]`` and class
indices; the estimator converts the caller's images (see
:mod:`ganaug.encoders.image`). Inside, images are resized to a square
power-of-two side and back, so any ``H x W`` from 8 to 128 works. After
training (:mod:`ganaug.models.image_fit`), each class's noise may be narrowed
(``truncation``), its samples are shifted so that their mean image is the real
class's (:class:`ganaug.sampling.corrections.MeanImageShift`), and the pixel
values of grayscale images are mapped onto the real class's distribution of
values (:class:`ganaug.sampling.intensities.IntensityMap`), after which the
mean shift is fitted and applied once more (the map moves the means). Last,
when the real images take only a few distinct values (8-bit images stored as
floats), each value is moved to the nearest of them
(:class:`ganaug.sampling.levels.PixelLevels`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from .._runtime import private_seed
from ..diffaugment import DiffAugment
from ..encoders.image import ImageResizer
from ..networks.conv import ConvClassifier, ConvCritic, ConvGenerator
from ..precision import resolve_precision
from ..sampling.corrections import MeanImageShift
from ..sampling.intensities import IntensityMap
from ..sampling.levels import PixelLevels
from ..training.batches import BalancedBatches
from ..training.diverse import DiverseGANTrainer
from ..training.trainer import Callback, GANTrainer, TrainingConfig
from .base import TrainedModel

__all__ = [
    "ImageGAN",
    "ImageSettings",
    "augment_policy",
    "base_width_for",
    "default_image_steps",
]

# Images generated per forward pass: bounds memory whatever the caller asks for.
SAMPLE_CHUNK = 256
# Where the trainer's networks are saved: "generator." is what samples (the moving
# average); the rest lets a loaded model train on (warm_start).
_STATE_PREFIXES = {
    "ema": "generator",
    "generator": "train_generator",
    "critic": "critic",
    "classifier": "classifier",
}
# The default budget never goes below this many steps, whatever the image size.
_MIN_STEPS = 500
# Batches of the moving-average generator used to re-estimate its batch-norm statistics.
_CALIBRATION_BATCHES = 8


def default_image_steps(n_samples: int, side: int = 8) -> int:
    """Generator steps for ``n_samples`` training images at the networks' ``side``.

    One critic step per generator step (hinge loss with DiffAugment). On the
    digits benchmark (about 690 images of 8x8, five classes of 12), with the
    auxiliary classifier the balanced accuracy of a classifier trained on the
    balanced data kept rising to 1,200 steps (0.915 at 500, 0.921 at 1,200).
    With the defaults now (no auxiliary classifier, mean matching, no cutout
    at 8x8), 1,187 steps gave 0.935 over five seeds in 68 to 86 s on one CPU
    thread, and 1,600 steps no clear gain. The budget grows with the data,
    from 1,000 to 4,000 steps.

    Above 16 pixels a side it shrinks in proportion to the side (never below
    500 steps): a step costs more there even with the narrower networks of
    :func:`base_width_for`. On MNIST-size digits (``benchmarks/images.py
    --data digits28``: 2,200 images of 28x28, five classes of 40) the balanced
    accuracy of a classifier trained on the balanced data rose with training
    (GANAugmenter minus RandomOverSampler, mean of 5 seeds: -0.019, -0.010,
    -0.003, +0.002 at 300, 600, 1,000, 1,400 steps); 1,350 steps is the budget
    there, 1,250 for 2,000 images. Fitting that in 180 s takes about 7
    steps/s: one thread of the 2-core development machine runs 7.5 in
    bfloat16 with AMX (a default fit of 2,000 images in 168 s) and 4.7 in
    float32 (268 s; ``benchmarks/image_fit.py``).
    """
    steps = np.clip(500 + n_samples, 1000, 4000) * min(1.0, 16 / side)
    return max(_MIN_STEPS, int(round(steps)))


def augment_policy(side: int) -> tuple[str, ...]:
    """DiffAugment's operations for the networks' image side.

    Colour, translation and cutout (DiffAugment's policy for a few hundred
    images), without cutout below 16 pixels a side: cutout blanks a square of
    half the side, which on 8x8 digits is a quarter of the image and most of a
    stroke. On the digits benchmark, dropping it there kept the balanced
    accuracy (0.935 against 0.934, mean of 5 seeds), raised label fidelity
    (0.958 against 0.938; lowest seed 0.942 against 0.901) and fit about 10%
    faster.
    """
    return ("color", "translation") if side < 16 else ("color", "translation", "cutout")


def base_width_for(side: int) -> int:
    """Channels of the networks' last level for the networks' image side.

    A conv stack's cost per image grows with the side squared at a fixed
    width. The widths double towards 4x4 (capped at 256, see
    :func:`ganaug.networks.conv.level_widths`), so halving the base width at
    32 pixels a side quarters the cost of every level: on the 2-core machine a
    training step at 32x32 ran about 3 times as fast with 16 channels as with
    32. At 8 and 16 pixels the networks keep 32 channels (the 8x8 digits
    benchmark was tuned on them); from 64 pixels on, 8.
    """
    return 32 if side <= 16 else 16 if side <= 32 else 8


@dataclass
class ImageSettings:
    """What the estimator's parameters mean for the image model."""

    latent_dim: int = 64
    base_width: int = 32
    batch_size: int = 64
    n_critic: int = 1
    learning_rate: float = 2e-4
    loss: str = "hinge"
    aux_weight: float = 0.0
    mean_matching: bool = True
    # one psi in (0, 1] (1: none), or "auto" (a spread per class: ganaug.sampling.truncation)
    truncation: float | str = 1.0
    # the estimator's setting ("auto", True, False), resolved on the training device
    mixed_precision: bool | str = "auto"
    augment: Sequence[str] = field(default_factory=lambda: ("color", "translation", "cutout"))

    def __post_init__(self) -> None:
        self.augment = tuple(self.augment)

    @classmethod
    def from_params(cls, params: Any) -> ImageSettings:
        """Settings from the estimator's parameters, ``"auto"`` values resolved here.

        ``loss="auto"`` is the hinge loss, ``n_critic="auto"`` one critic step per
        generator step, ``batch_size="auto"`` 64, ``aux_weight="auto"`` 0 (no
        auxiliary classifier). ``moment_matching`` is mean and intensity matching
        for images; ``hidden_units`` concerns tables only; ``truncation`` is the
        noise spread (:mod:`ganaug.sampling.truncation`). The network width and
        DiffAugment's policy follow the image size
        (:func:`ganaug.models.image_fit.fit_image_model`).
        """
        return cls(
            latent_dim=params.latent_dim,
            batch_size=64 if params.batch_size == "auto" else int(params.batch_size),
            n_critic=1 if params.n_critic == "auto" else int(params.n_critic),
            learning_rate=params.learning_rate,
            loss="hinge" if params.loss == "auto" else params.loss,
            aux_weight=0.0 if params.aux_weight == "auto" else params.aux_weight,
            mean_matching=params.moment_matching,
            truncation=params.truncation,
            mixed_precision=params.mixed_precision,
        )


class ImageGAN(TrainedModel):
    """A conditional DCGAN for one image size.

    Parameters
    ----------
    settings : ImageSettings
    channels, height, width : int
        Shape of the caller's images.
    """

    def __init__(self, settings: ImageSettings, channels: int, height: int, width: int) -> None:
        self.settings = settings
        self.channels = channels
        self.height = height
        self.width = width
        self.resizer = ImageResizer(height, width)
        self.trainer: GANTrainer | None = None
        self.shift: MeanImageShift | None = None
        # the mean shift again, after the intensity map (None: as models saved before it)
        self.final_shift: MeanImageShift | None = None
        # noise spread per class (None: 1 for all, as models saved before it)
        self.truncation: np.ndarray | None = None
        self.intensities: IntensityMap | None = None
        # the real images' few pixel values (None: as they come, as models saved before it)
        self.levels: PixelLevels | None = None

    def _make_generator(self) -> ConvGenerator:
        s = self.settings
        return ConvGenerator(
            s.latent_dim, self.n_classes, self.channels, self.resizer.side, s.base_width
        )

    def build(
        self,
        y: np.ndarray,
        n_classes: int,
        seed: int,
        device: torch.device,
        callbacks: Sequence[Callback] = (),
    ) -> None:
        """Create the networks and the trainer; ``y`` (class indices) caps the batch size."""
        s = self.settings
        self.n_classes = n_classes
        self.device = device
        with private_seed(seed):
            generator, critic, classifier = self._make_networks(s.aux_weight > 0)
        config = TrainingConfig(
            batch_size=min(s.batch_size, len(y)),
            n_critic=s.n_critic,
            learning_rate=s.learning_rate,
            betas=(0.0, 0.99) if s.loss == "hinge" else (0.5, 0.9),
            loss=s.loss,
            aux_weight=s.aux_weight,
            # the trainer's collapse check reads the moving-average generator in eval()
            # mode, whose batch-norm statistics are only calibrated after training
            health_every=0,
            mixed_precision=resolve_precision(s.mixed_precision, device),
        )
        self._make_trainer(generator, critic, classifier, config, seed + 1, callbacks)

    def _make_networks(
        self, with_classifier: bool
    ) -> tuple[ConvGenerator, ConvCritic, ConvClassifier | None]:
        s = self.settings
        generator = self._make_generator()
        critic = ConvCritic(self.n_classes, self.channels, self.resizer.side, s.base_width)
        classifier = ConvClassifier(self.n_classes, self.channels) if with_classifier else None
        return generator, critic, classifier

    def _make_trainer(
        self,
        generator: ConvGenerator,
        critic: ConvCritic,
        classifier: ConvClassifier | None,
        config: TrainingConfig,
        seed: int,
        callbacks: Sequence[Callback] = (),
    ) -> None:
        s = self.settings
        augment = DiffAugment(s.augment) if s.augment else None
        if self.device.type == "cpu":
            # oneDNN's convolutions run faster on channels-last tensors: a training step at
            # 32x32 ran 1.2-1.3x as fast in float32 and 1.1x in bfloat16 (the layout of
            # the weights sets the activations'; saved tensors are written contiguous as before)
            for network in (generator, critic, classifier):
                if network is not None:
                    network.to(memory_format=torch.channels_last)
        self.trainer = DiverseGANTrainer(
            generator,
            critic,
            s.latent_dim,
            config,
            self.device,
            seed,
            classifier,
            augment,
            callbacks,
        )

    def batches(
        self, images: torch.Tensor, y: np.ndarray
    ) -> Callable[[torch.Generator], tuple[torch.Tensor, torch.Tensor]]:
        """Class-balanced batches of in-memory images, resized for the networks."""
        data = self.resizer.to_model(images).to(self.device)
        labels = torch.as_tensor(y, dtype=torch.long, device=self.device)
        return BalancedBatches(data, labels, self.trainer.config.batch_size)

    def train(
        self,
        images: torch.Tensor | Callable[[torch.Generator], tuple[torch.Tensor, torch.Tensor]],
        y: np.ndarray,
        n_steps: int,
        verbose: int,
        seed: int,
    ) -> None:
        """Train on a ``(N, C, H, W)`` tensor in ``[-1, 1]``, or on a batch source.

        A batch source is a callable ``source(generator) -> (x, y)`` that returns
        images already at the networks' side (see :meth:`batches`).
        """
        source = images if callable(images) else self.batches(images, y)
        self.trainer.train(source, n_steps, verbose)
        self._calibrate(seed)

    @torch.no_grad()
    def _calibrate(self, seed: int) -> None:
        """Re-estimate the batch-norm statistics of the moving-average generator.

        The trainer copies the training generator's running statistics, which
        belong to other weights than the averaged ones; sampling in eval() mode
        with them blurs the images.
        """
        ema = self.trainer.ema
        norms = [m for m in ema.modules() if isinstance(m, nn.BatchNorm2d)]
        rng = torch.Generator(device=self.device)
        rng.manual_seed(seed)
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # a plain average over the calibration batches
        ema.train()
        for _ in range(_CALIBRATION_BATCHES):
            y = torch.randint(self.n_classes, (SAMPLE_CHUNK,), generator=rng, device=self.device)
            z = torch.randn(
                SAMPLE_CHUNK, self.settings.latent_dim, generator=rng, device=self.device
            )
            ema(z, y)
        for m in norms:
            m.momentum = 0.1
        ema.eval()

    @property
    def sampler(self) -> nn.Module:
        """The generator used for sampling (the moving average)."""
        return self.trainer.ema

    @torch.no_grad()
    def generate(
        self, y: np.ndarray, rng: torch.Generator, truncation: np.ndarray | None = None
    ) -> torch.Tensor:
        """Synthetic images of classes ``y`` (indices): CPU ``(N, C, H, W)`` in ``[-1, 1]``.

        The noise of class ``c`` is scaled by ``truncation[c]`` (the fitted
        spreads when not given; none before they are fitted).
        """
        generator = self.sampler
        generator.eval()
        psi = self.truncation if truncation is None else truncation
        spread = None if psi is None else torch.as_tensor(psi, dtype=torch.float32).to(self.device)
        chunks = []
        for start in range(0, len(y), SAMPLE_CHUNK):
            yb = torch.as_tensor(
                y[start : start + SAMPLE_CHUNK], dtype=torch.long, device=self.device
            )
            z = torch.randn(len(yb), self.settings.latent_dim, generator=rng, device=self.device)
            if spread is not None:
                z = z * spread[yb, None]
            images = self.resizer.from_model(generator(z, yb, generator=rng)).float().cpu()
            if self.shift is not None:
                images = self.shift.apply(images, yb.cpu())
            images = images.clamp_(-1.0, 1.0)
            if self.intensities is not None:
                images = self.intensities.apply(images, yb.cpu())
            if self.final_shift is not None:
                images = self.final_shift.apply(images, yb.cpu()).clamp_(-1.0, 1.0)
            if self.levels is not None:
                images = self.levels.snap(images)
            chunks.append(images)
        if not chunks:
            return torch.zeros(0, self.channels, self.height, self.width)
        return torch.cat(chunks)

    # -- persistence ----------------------------------------------------------------

    def get_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """JSON-able configuration, and the tensors of every network and the mean shift."""
        config = {
            "kind": "image",
            "settings": {**asdict(self.settings), "augment": list(self.settings.augment)},
            "channels": self.channels,
            "height": self.height,
            "width": self.width,
            "n_classes": self.n_classes,
            "steps_done": self.steps_done,
            "history": [dict(h) for h in self.history],
            "training": asdict(self.trainer.config),
        }
        tensors = self.trainer.state_tensors(_STATE_PREFIXES)
        if self.shift is not None:
            tensors["shift.offset"] = self.shift.offset_.contiguous()
        if self.truncation is not None:
            tensors["truncation.psi"] = torch.as_tensor(self.truncation, dtype=torch.float32)
        if self.intensities is not None:
            tensors["intensities.synthetic"] = self.intensities.synthetic_.contiguous()
            tensors["intensities.real"] = self.intensities.real_.contiguous()
        if self.final_shift is not None:
            tensors["final_shift.offset"] = self.final_shift.offset_.contiguous()
        if self.levels is not None:
            tensors["levels.values"] = self.levels.levels_.contiguous()
        return config, tensors

    @classmethod
    def from_state(
        cls, config: dict[str, Any], tensors: dict[str, torch.Tensor], device: torch.device
    ) -> ImageGAN:
        """Rebuild a model that samples as the saved one did and can train on."""
        model = cls(
            ImageSettings(**config["settings"]),
            config["channels"],
            config["height"],
            config["width"],
        )
        model.n_classes = int(config["n_classes"])
        model.device = torch.device(device)
        with private_seed(0):
            generator, critic, classifier = model._make_networks(
                any(k.startswith("classifier.") for k in tensors)
            )
        training = TrainingConfig(**config["training"])
        training.mixed_precision = _precision_after_load(model.settings, model.device)
        model._make_trainer(generator, critic, classifier, training, 0)
        model.trainer.load_state(tensors, config["steps_done"], config["history"], _STATE_PREFIXES)
        if "shift.offset" in tensors:
            model.shift = MeanImageShift()
            model.shift.offset_ = tensors["shift.offset"].float()
        if "truncation.psi" in tensors:
            model.truncation = tensors["truncation.psi"].float().numpy()
        if "intensities.real" in tensors:
            model.intensities = IntensityMap()
            model.intensities.synthetic_ = tensors["intensities.synthetic"].float()
            model.intensities.real_ = tensors["intensities.real"].float()
        if "final_shift.offset" in tensors:
            model.final_shift = MeanImageShift()
            model.final_shift.offset_ = tensors["final_shift.offset"].float()
        if "levels.values" in tensors:
            model.levels = PixelLevels()
            model.levels.levels_ = tensors["levels.values"].float()
        return model


def _precision_after_load(settings: ImageSettings, device: torch.device) -> str:
    """The mixed-precision mode for training on after loading on ``device``.

    Resolved again from the user's setting: a model fitted with ``"auto"`` on a
    GPU (bf16) and loaded on a CPU trains on in float32, as a fresh fit there would.
    """
    try:
        return resolve_precision(settings.mixed_precision, device)
    except ValueError:  # True on a device without mixed precision here
        return "off"
