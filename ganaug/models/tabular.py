"""The tabular model: encoder, conditional WGAN-GP on MLPs, moment matching.

:class:`TabularGAN` wires the pieces together; it knows DataFrames and class
indices, not the caller's containers or labels (the estimator handles those).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from .._runtime import private_seed, uniform_draws
from .._settings import settings_config, settings_from_config
from ..encoders.tabular import TabularEncoder
from ..networks.mlp import AuxiliaryClassifier, ConditionalCritic, ConditionalGenerator
from ..sampling.categories import CategoryMatcher
from ..sampling.corrections import MissingRateMatcher, MomentMatcher, missing_margins
from ..sampling.dependence import DependenceMatcher
from ..sampling.entities import KeyTables
from ..sampling.marginals import QuantileMatcher
from ..sampling.relations import RelationMatcher, find_class_relations
from ..sampling.rule_kinds import Rule
from ..sampling.rule_redraw import redraw_broken_orders, tied_orders
from ..sampling.rule_repair import enforce_rules
from ..training.batches import BalancedBatches
from ..training.trainer import Callback, GANTrainer, TrainingConfig
from .base import TrainedModel
from .tabular_corrections import correction_tensors, corrections_from_tensors

__all__ = ["TabularGAN", "TabularSettings", "default_tabular_steps"]

# Rows drawn per class to estimate the per-class corrections after training.
_REFERENCE_ROWS = 2000
# Rows generated per forward pass: bounds memory whatever the caller asks for.
SAMPLE_CHUNK = 16384


def default_tabular_steps(n_samples: int) -> int:
    """Generator steps (each after ``n_critic`` critic steps) for ``n_samples`` rows.

    Trials on 300 to 5,500-row tables found quality still rising at 4,000 critic
    steps (800 generator steps) and 400 generator steps leaving a small minority
    class poorly covered. Every table gets at least 600 generator steps: a step
    costs the same however few rows there are, and the networks need that many
    updates to learn how columns move together (on four tables of 230 to 600
    rows, 600 steps instead of 345 to 418 lowered the detection AUC of a
    minority class's synthetic rows by 0.01 to 0.06, over 5 seeds).
    Above 1,500 rows the budget grows with the data, to 800 steps at 2,500 rows,
    which keeps a default fit on a 1,000-row, 30-column table near 15 s on two
    CPU cores.
    """
    return int(np.clip(300 + n_samples // 5, 600, 800))


@dataclass
class TabularSettings:
    """What the estimator's parameters mean for the tabular model."""

    latent_dim: int = 64
    hidden_units: Sequence[int] = (128, 128)
    batch_size: int = 64
    n_critic: int = 5
    learning_rate: float = 2e-4
    loss: str = "wgan-gp"
    aux_weight: float = 1.0
    moment_matching: bool = True

    @classmethod
    def from_params(cls, params: Any) -> TabularSettings:
        """Settings from the estimator's parameters, ``"auto"`` values resolved here.

        ``batch_size="auto"`` is 64, ``n_critic="auto"`` 5 critic steps per
        generator step, ``loss="auto"`` the WGAN-GP loss and ``aux_weight="auto"``
        1.0 (the auxiliary classifier on). ``mixed_precision`` concerns images only.
        """
        return cls(
            latent_dim=params.latent_dim,
            hidden_units=tuple(params.hidden_units),
            batch_size=64 if params.batch_size == "auto" else int(params.batch_size),
            n_critic=5 if params.n_critic == "auto" else params.n_critic,
            learning_rate=params.learning_rate,
            loss="wgan-gp" if params.loss == "auto" else params.loss,
            aux_weight=1.0 if params.aux_weight == "auto" else params.aux_weight,
            moment_matching=params.moment_matching,
        )


def _numpy_rng(rng: torch.Generator) -> np.random.Generator:
    """A numpy generator seeded from the caller's torch one: repeatable per seed."""
    seed = int(torch.randint(2**31 - 1, (1,), generator=rng, device=rng.device).item())
    return np.random.default_rng(seed)


class TabularGAN(TrainedModel):
    """A conditional WGAN-GP for a table, from DataFrame to DataFrame.

    Parameters
    ----------
    settings : TabularSettings
    categorical : list of column names
        Numeric columns to model as categories.
    """

    def __init__(self, settings: TabularSettings, categorical: list[Hashable]) -> None:
        self.settings = settings
        self.categorical = categorical
        self.set_rules([], {})
        self.set_keys(None)

    def build(
        self,
        frame: pd.DataFrame,
        n_classes: int,
        seed: int,
        device: torch.device,
        callbacks: Sequence[Callback] = (),
    ) -> None:
        """Fit the encoder and create the networks and the trainer."""
        s = self.settings
        self.n_classes = n_classes
        self.encoder = TabularEncoder(self.categorical, random_state=seed).fit(frame)
        self.device = device
        n_features = self.encoder.n_encoded_
        with private_seed(seed):
            generator = ConditionalGenerator(
                s.latent_dim, n_classes, self.encoder.spans_, s.hidden_units
            )
            critic = ConditionalCritic(n_features, n_classes, s.hidden_units)
            classifier = (
                AuxiliaryClassifier(n_features, n_classes, s.hidden_units[:1])
                if s.aux_weight > 0
                else None
            )
        config = TrainingConfig(
            batch_size=min(s.batch_size, len(frame)),
            n_critic=s.n_critic,
            learning_rate=s.learning_rate,
            loss=s.loss,
            aux_weight=s.aux_weight,
        )
        self.trainer = GANTrainer(
            generator, critic, s.latent_dim, config, device, seed + 1, classifier, None, callbacks
        )
        self.matcher: QuantileMatcher | MomentMatcher | None = None
        self.products: RelationMatcher | None = None
        self.dependence: DependenceMatcher | None = None
        self.missing: MissingRateMatcher | None = None
        self.categories: CategoryMatcher | None = None
        self._logit_bias: torch.Tensor | None = None

    def train(
        self, frame: pd.DataFrame, y: np.ndarray, n_steps: int, verbose: int, seed: int
    ) -> None:
        """Train on a table, then fit the per-class corrections from fresh samples.

        With ``moment_matching``: category biases (support and frequencies),
        then NaN rates, then the continuous columns' rank correlations
        (:mod:`ganaug.sampling.dependence`), then their quantile maps, then the
        noisy relations between them (:mod:`ganaug.sampling.relations`, pooled
        and per class), each on a reference sample drawn with the corrections
        before it in place (for relations, the values as they are written: on
        their grids, heaped decimals drawn). The
        data is not kept: a fitted model holds no training rows.
        """
        encoded = self.encoder.transform(frame)
        data = torch.as_tensor(encoded, device=self.device)
        labels = torch.as_tensor(y, dtype=torch.long, device=self.device)
        batches = BalancedBatches(data, labels, self.trainer.config.batch_size)
        self.trainer.train(batches, n_steps, verbose)
        self.matcher = self.products = self.dependence = None
        self.set_missing(None, None)
        if not self.settings.moment_matching or not self.encoder.columns_:
            return
        self.set_missing(*self._fit_logit_biases(encoded, frame, y, seed))
        rng = torch.Generator(device=self.device)
        rng.manual_seed(seed)
        ref_y = np.repeat(np.arange(self.n_classes), _REFERENCE_ROWS)
        continuous, _ = self._generate_numeric(ref_y, rng)
        real = self.encoder.continuous_values(frame)
        self.dependence = DependenceMatcher().fit(real, y, continuous, ref_y, self.n_classes)
        continuous = self.dependence.apply(continuous, ref_y)
        self.matcher = QuantileMatcher().fit(real, y, continuous, ref_y, self.n_classes)
        names = [info.name for info in self.encoder.columns_ if info.kind == "continuous"]
        relations = RelationMatcher(*find_class_relations(real, y, names, self.rules))
        if len(relations):  # no extra draws otherwise: samples stay what they were
            mapped = self.matcher.apply(continuous, ref_y, uniform_draws(rng, continuous.shape))
            # factors as they are written (a draw of no heaped column draws nothing)
            draws = uniform_draws(rng, (len(ref_y), self.encoder.n_heaped))
            mapped = self.encoder.continuous_on_grid(mapped, draws)
            self.products = relations.fit(real, y, mapped, ref_y, self.n_classes)

    def _category_blocks(self) -> list[tuple[int, int, int]]:
        """(start, number of categories, stop) of each categorical column's softmax
        block; ``stop`` is one past the "missing" category when there is one."""
        return [
            (span.start, len(info.categories), span.stop)
            for info, role, span in self.encoder.softmax_blocks()
            if role == "categories"
        ]

    @torch.no_grad()
    def _fit_logit_biases(
        self, encoded: np.ndarray, frame: pd.DataFrame, y: np.ndarray, seed: int
    ) -> tuple[MissingRateMatcher | None, CategoryMatcher | None]:
        """Per class, the category biases, then the "missing" shifts on top of them."""
        blocks = [(a, w) for a, w, _ in self._category_blocks()]
        columns = self.encoder.missing_logits()
        if not blocks and not columns:
            return None, None
        rng = torch.Generator(device=self.device)
        rng.manual_seed(seed + 1)
        ref_y = np.repeat(np.arange(self.n_classes), _REFERENCE_ROWS)
        generator = self.trainer.ema.eval()
        chunks = []
        for start in range(0, len(ref_y), SAMPLE_CHUNK):
            yb = torch.as_tensor(ref_y[start : start + SAMPLE_CHUNK], device=self.device)
            z = torch.randn(len(yb), self.trainer.latent_dim, generator=rng, device=self.device)
            chunks.append(generator.logits(z, yb).float().cpu())
        logits = torch.cat(chunks)
        categories = None
        if blocks:
            codes = np.stack(
                [encoded[:, a:stop].argmax(axis=1) for a, _, stop in self._category_blocks()],
                axis=1,
            )
            categories = CategoryMatcher().fit(
                logits.numpy(), ref_y, codes, y, blocks, self.n_classes
            )
            index = [a + i for a, w in blocks for i in range(w)]
            bias = categories.logit_bias(index, logits.shape[1])
            logits = logits + bias[torch.as_tensor(ref_y)]
        missing = None
        if columns:
            margins = missing_margins(logits, columns).numpy()
            real_missing = np.stack([frame[name].isna().to_numpy() for name, *_ in columns], axis=1)
            missing = MissingRateMatcher().fit(margins, ref_y, real_missing, y, self.n_classes)
        return missing, categories

    def set_missing(
        self, matcher: MissingRateMatcher | None, categories: CategoryMatcher | None = None
    ) -> None:
        """Use these shifts of the "missing" and category logits when sampling (None: none)."""
        self.missing = matcher
        self.categories = categories
        self._logit_bias = None
        n_out = self.trainer.ema.n_out
        if matcher is not None:
            index = [miss for *_, miss in self.encoder.missing_logits()]
            self._logit_bias = matcher.logit_bias(index, n_out).to(self.device)
        if categories is not None:
            index = [a + i for a, w, _ in self._category_blocks() for i in range(w)]
            bias = categories.logit_bias(index, n_out).to(self.device)
            self._logit_bias = bias if self._logit_bias is None else self._logit_bias + bias

    @torch.no_grad()
    def _generate_numeric(
        self, y: np.ndarray, rng: torch.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Raw continuous values and category codes of rows of classes ``y``.

        Drawn from the moving-average generator in eval mode, in chunks of at most
        ``SAMPLE_CHUNK`` rows so that memory stays bounded whatever is asked for.
        """
        generator = self.trainer.ema
        generator.eval()
        scalars, codes = [], []
        for start in range(0, len(y), SAMPLE_CHUNK):
            yb = torch.as_tensor(
                y[start : start + SAMPLE_CHUNK], dtype=torch.long, device=self.device
            )
            z = torch.randn(len(yb), self.trainer.latent_dim, generator=rng, device=self.device)
            s, c = generator.sample(z, yb, rng, self._logit_bias)
            scalars.append(s.float().cpu().numpy())
            codes.append(c.cpu().numpy())
        if not scalars:
            n_tanh = sum(span.activation == "tanh" for span in self.encoder.spans_)
            n_soft = len(self.encoder.spans_) - n_tanh
            return self.encoder.decode_parts(
                np.zeros((0, n_tanh), dtype=np.float32), np.zeros((0, n_soft), dtype=np.int64)
            )
        return self.encoder.decode_parts(np.concatenate(scalars), np.concatenate(codes))

    def generate(self, y: np.ndarray, rng: torch.Generator) -> pd.DataFrame:
        """Synthetic rows of classes ``y`` (class indices), as a DataFrame.

        Rows that break an order on a column that a relation ties to others are
        drawn again first (:mod:`ganaug.sampling.rule_redraw`), then a row whose
        key is a training value gets the values it fixes
        (:mod:`ganaug.sampling.entities`), then the rule repair makes every row
        keep every rule.
        """
        keys = getattr(self, "keys", None)  # None: none, or a model pickled before keys
        if not getattr(self, "rules", None):  # none, or a model pickled before rules
            frame = self._draw(y, rng)
            return keys.apply(frame, y, _numpy_rng(rng)) if keys else frame
        orders = tied_orders(self.rules, self._tied_columns())
        frame = redraw_broken_orders(lambda classes: self._draw(classes, rng), y, orders)
        if keys:
            frame = keys.apply(frame, y, _numpy_rng(rng))
        # the repair's own draws come from the caller's generator: repeatable per seed
        return enforce_rules(frame, self.rules, self.rule_numbers, y, _numpy_rng(rng))

    def _tied_columns(self) -> list[Hashable]:
        """Names of the continuous columns that a relation ties to others."""
        products = getattr(self, "products", None)  # None: none, or pickled before products
        names = [info.name for info in self.encoder.columns_ if info.kind == "continuous"]
        return [names[j] for j in sorted(products.tied())] if products is not None else []

    def _draw(self, y: np.ndarray, rng: torch.Generator) -> pd.DataFrame:
        """Rows of classes ``y`` with every correction but the rules'."""
        continuous, codes = self._generate_numeric(y, rng)
        if getattr(self, "dependence", None) is not None:  # None: pickled before it
            continuous = self.dependence.apply(continuous, y)
        if isinstance(self.matcher, QuantileMatcher):
            continuous = self.matcher.apply(continuous, y, uniform_draws(rng, continuous.shape))
        elif self.matcher is not None:  # a model saved before quantile matching
            continuous = self.matcher.apply(continuous, y)
        # values as they are written (grid, heaped decimals): targets are computed from them
        draws = uniform_draws(rng, (len(y), self.encoder.n_heaped))
        continuous = self.encoder.continuous_on_grid(continuous, draws)
        if getattr(self, "products", None) is not None:  # None: pickled before products
            ties = uniform_draws(rng, (len(y), len(self.products)))
            continuous = self.products.apply(continuous, y, ties)
        return self.encoder.to_frame(continuous, codes)

    def set_rules(self, rules: Sequence[Rule], numbers: dict[Hashable, dict[str, Any]]) -> None:
        """Make every generated row keep ``rules`` (see ganaug.sampling.rule_repair)."""
        self.rules = list(rules)
        self.rule_numbers = dict(numbers)

    def set_keys(self, keys: KeyTables | None) -> None:
        """Give every generated row the values its key fixes (see ganaug.sampling.entities)."""
        self.keys = keys if keys else None

    # -- persistence (see ganaug/_persistence.py) ------------------------------------

    def get_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """Everything needed to sample again and to keep training, as plain values.

        Returns
        -------
        config : dict
            JSON-able settings, encoder columns, history and step count.
        tensors : dict of str to Tensor
            Network weights (generator, critic, classifier, moving average), the
            trainer's random state, the quantile maps (or an older model's
            moment-matching map), the dependence maps and the shifts of the
            category and "missing" logits, on the CPU.
            Optimizer moments are not kept: training after loading restarts them.
        """
        trainer = self.trainer
        config = {
            "settings": settings_config(self.settings),
            "categorical": list(self.categorical),
            "n_classes": int(self.n_classes),
            "encoder": self.encoder.get_state(),
            "training": asdict(trainer.config),
            "steps_done": trainer.steps_done,
            "history": trainer.history,
            "rules": {"rules": list(self.rules), "numbers": dict(self.rule_numbers)},
        }
        keys = getattr(self, "keys", None)  # None: none, or pickled before keys
        if keys:
            config["keys"] = keys.get_state()
        tensors = trainer.state_tensors()
        products = getattr(self, "products", None)  # None: pickled before products
        if products is not None:
            config["products"], arrays = products.get_state()
            tensors.update({f"products.{k}": torch.from_numpy(v.copy()) for k, v in arrays.items()})
        dependence = getattr(self, "dependence", None)  # None: pickled before it
        tensors.update(correction_tensors(self.matcher, dependence, self.missing, self.categories))
        return config, tensors

    @classmethod
    def from_state(
        cls, config: dict[str, Any], tensors: dict[str, torch.Tensor], device: torch.device
    ) -> TabularGAN:
        """Rebuild a model saved by :meth:`get_state` on ``device``; runs no pickled code."""
        settings = settings_from_config(TabularSettings, config["settings"])
        model = cls(settings, list(config["categorical"]))
        model.n_classes = int(config["n_classes"])
        model.device = device
        encoder = TabularEncoder.from_state(config["encoder"], model.categorical)
        model.encoder = encoder
        n_features = encoder.n_encoded_
        hidden = settings.hidden_units
        generator = ConditionalGenerator(
            settings.latent_dim, model.n_classes, encoder.spans_, hidden
        )
        critic = ConditionalCritic(n_features, model.n_classes, hidden)
        has_classifier = any(k.startswith("classifier.") for k in tensors)
        classifier = (
            AuxiliaryClassifier(n_features, model.n_classes, hidden[:1]) if has_classifier else None
        )
        train_config = TrainingConfig(**config["training"])
        trainer = GANTrainer(
            generator, critic, settings.latent_dim, train_config, device, 0, classifier
        )
        trainer.load_state(tensors, config["steps_done"], config["history"])
        model.trainer = trainer
        model.matcher, model.dependence, missing, categories = corrections_from_tensors(tensors)
        model.products = None  # files written before products have none
        if config.get("products"):
            arrays = {k: tensors[f"products.{k}"].numpy() for k in ("synthetic", "real")}
            model.products = RelationMatcher.from_state(config["products"], arrays)
        model.set_missing(missing, categories)
        rules = config.get("rules", {})  # files written before rules have none
        model.set_rules(rules.get("rules", []), rules.get("numbers", {}))
        # files written before keys, and models without any, have none
        model.set_keys(KeyTables.from_state(config["keys"]) if config.get("keys") else None)
        return model
