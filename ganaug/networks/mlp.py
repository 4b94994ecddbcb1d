"""Conditional MLPs for tables: generator, critic and auxiliary classifier.

Networks see tensors only: ``z`` noise, ``y`` integer class indices and ``x``
encoded rows laid out as the encoder's spans say.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from ..encoders.tabular import Span

__all__ = ["AuxiliaryClassifier", "ConditionalCritic", "ConditionalGenerator", "OutputHeads"]

# CTGAN's temperature: low enough that one-hot blocks look nearly discrete to the critic.
GUMBEL_TAU = 0.2


def _mlp(n_in: int, hidden: Sequence[int], norm: bool) -> tuple[nn.Sequential, int]:
    layers: list[nn.Module] = []
    for width in hidden:
        layers.append(nn.Linear(n_in, width))
        if norm:
            # LayerNorm, not BatchNorm: the same function in train() and eval(), so
            # sampling does not depend on running statistics.
            layers.append(nn.LayerNorm(width))
        layers.append(nn.LeakyReLU(0.2))
        n_in = width
    return nn.Sequential(*layers), n_in


class OutputHeads(nn.Module):
    """Turn raw generator output into encoded rows: tanh scalars and softmax blocks.

    Softmax blocks of equal width are processed together as one (n, k, width)
    tensor, so the cost does not grow with the number of columns: a per-span loop
    made the generator's forward pass several times slower on wide tables.

    Parameters
    ----------
    spans : sequence of Span
        The encoder's layout.
    """

    def __init__(self, spans: Sequence[Span]) -> None:
        super().__init__()
        tanh = [s.start for s in spans if s.activation == "tanh"]
        self.register_buffer("tanh_index", torch.tensor(tanh, dtype=torch.long), persistent=False)
        softmax = [s for s in spans if s.activation == "softmax"]
        self.n_softmax = len(softmax)
        self.widths = sorted({s.width for s in softmax})
        grouped_columns: list[int] = []
        grouped_spans: list[int] = []
        self.group_sizes: list[tuple[int, int]] = []  # (blocks, width) in grouped order
        for width in self.widths:
            group = [(i, s) for i, s in enumerate(softmax) if s.width == width]
            blocks = [list(range(s.start, s.stop)) for _, s in group]
            self.register_buffer(
                f"softmax_{width}", torch.tensor(blocks, dtype=torch.long), persistent=False
            )
            grouped_columns.extend(c for block in blocks for c in block)
            grouped_spans.extend(i for i, _ in group)
            self.group_sizes.append((len(group), width))
        # sample() reads all softmax columns in one gather, grouped by width, and
        # puts the codes back in span order with the inverse permutation
        self.register_buffer(
            "grouped_columns", torch.tensor(grouped_columns, dtype=torch.long), persistent=False
        )
        inverse = torch.empty(len(grouped_spans), dtype=torch.long)
        inverse[torch.tensor(grouped_spans, dtype=torch.long)] = torch.arange(len(grouped_spans))
        self.register_buffer("span_order", inverse, persistent=False)
        self.n_out = spans[-1].stop if spans else 0

    @staticmethod
    def _gumbel(shape: torch.Size, generator: torch.Generator, like: torch.Tensor) -> torch.Tensor:
        """Gumbel(0, 1) noise from our own generator (F.gumbel_softmax would use the
        global RNG); the clamps keep both logarithms finite."""
        uniform = torch.rand(shape, generator=generator, device=like.device, dtype=like.dtype)
        return -torch.log((-torch.log(uniform.clamp(1e-10, 1.0))).clamp_min(1e-10))

    @torch.no_grad()
    def sample(
        self, logits: torch.Tensor, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw rows without building the one-hot blocks: what decoding needs, only.

        The argmax of logits plus Gumbel noise is a sample of the block's categorical
        distribution (the Gumbel-max trick), which is what decoding the Gumbel-softmax
        of :meth:`forward` amounts to. Skipping the softmax, the scatter into one-hot
        blocks and the later argmax more than doubles sampling speed.

        Returns
        -------
        scalars : Tensor of shape (n, n_tanh_spans)
            The tanh outputs, in span order.
        codes : Tensor of shape (n, n_softmax_spans)
            The category index of each softmax span, in span order.
        """
        n = len(logits)
        scalars = torch.tanh(logits[:, self.tanh_index])
        if not self.n_softmax:
            return scalars, torch.empty(n, 0, dtype=torch.long, device=logits.device)
        grouped = logits[:, self.grouped_columns]
        grouped = grouped + self._gumbel(grouped.shape, generator, grouped)
        codes, start = [], 0
        for k, width in self.group_sizes:
            codes.append(grouped[:, start : start + k * width].reshape(n, k, width).argmax(dim=2))
            start += k * width
        return scalars, torch.cat(codes, dim=1)[:, self.span_order]

    def forward(
        self, logits: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        # logits: (n, width) raw output; generator: Gumbel noise source, None for plain softmax
        out = torch.empty_like(logits)
        if len(self.tanh_index):
            out[:, self.tanh_index] = torch.tanh(logits[:, self.tanh_index])
        for width in self.widths:
            index = getattr(self, f"softmax_{width}")
            block = logits[:, index]
            if generator is not None:
                # a differentiable sample of each block's category (Gumbel-softmax)
                block = block + self._gumbel(block.shape, generator, block)
            out[:, index] = F.softmax(block / GUMBEL_TAU, dim=2)
        return out


class ConditionalGenerator(nn.Module):
    """G(z, y): noise and a class index to an encoded row.

    Parameters
    ----------
    latent_dim : int
        Width of the noise vector ``z``.
    n_classes : int
        Number of classes; ``y`` enters as a one-hot vector on every call.
    spans : sequence of Span
        The encoder's layout; fixes the output width and the heads.
    hidden : sequence of int
        Widths of the hidden layers.
    """

    def __init__(
        self, latent_dim: int, n_classes: int, spans: Sequence[Span], hidden: Sequence[int]
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.n_classes = n_classes
        self.spans = list(spans)
        n_out = self.spans[-1].stop if self.spans else 0
        self.body, width = _mlp(latent_dim + n_classes, hidden, norm=True)
        self.head = nn.Linear(width, max(n_out, 1))
        self.heads = OutputHeads(self.spans)
        self.n_out = n_out

    def forward(
        self, z: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        # z: (n, latent_dim) noise; y: (n,) class indices; generator: Gumbel noise source
        return self.heads(self.logits(z, y), generator)

    def logits(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The raw output, before tanh and the softmax heads: shape (n, n_out)."""
        h = self.body(torch.cat([z, F.one_hot(y, self.n_classes).to(z.dtype)], dim=1))
        return self.head(h)[:, : self.n_out]

    @torch.no_grad()
    def sample(
        self,
        z: torch.Tensor,
        y: torch.Tensor,
        generator: torch.Generator,
        logit_bias: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Scalars and category codes of sampled rows (see :meth:`OutputHeads.sample`).

        ``logit_bias`` of shape (n_classes, n_out), when given, is added to each
        row's logits by class before sampling (see ``MissingRateMatcher``).
        """
        logits = self.logits(z, y)
        if logit_bias is not None:
            logits = logits + logit_bias[y]
        return self.heads.sample(logits, generator)


class ConditionalCritic(nn.Module):
    """D(x, y): a real-valued score of an encoded row given its class.

    No normalization layers: the gradient penalty is per sample, and batch
    statistics would couple the samples of a batch.
    """

    def __init__(self, n_features: int, n_classes: int, hidden: Sequence[int]) -> None:
        super().__init__()
        self.n_classes = n_classes
        self.body, width = _mlp(n_features + n_classes, hidden, norm=False)
        self.head = nn.Linear(width, 1)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        # x: (n, n_features) encoded rows; y: (n,) class indices
        h = self.body(torch.cat([x, F.one_hot(y, self.n_classes).to(x.dtype)], dim=1))
        return self.head(h).squeeze(1)


class AuxiliaryClassifier(nn.Module):
    """C(x): class logits of an encoded row, trained on real rows only.

    The generator pays the cross-entropy of C on its samples, which pulls each
    sample towards the region where real rows of its class live (AC-GAN's idea,
    with the classifier kept apart from the critic so that it does not interfere
    with the gradient penalty).
    """

    def __init__(self, n_features: int, n_classes: int, hidden: Sequence[int]) -> None:
        super().__init__()
        self.body, width = _mlp(n_features, hidden, norm=False)
        self.head = nn.Linear(width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (n, n_features) encoded rows
        return self.head(self.body(x))
