"""Statistical corrections on known data: the image mean shift, the missing-rate shift."""

from __future__ import annotations

import numpy as np
import torch
from scipy.special import expit

from ganaug.sampling.corrections import (
    MIN_ROWS_TO_MATCH,
    MeanImageShift,
    MissingRateMatcher,
    class_means,
    class_sums,
)


def test_class_sums_adds_up_batches_per_class():
    images = torch.arange(24, dtype=torch.float32).view(6, 1, 2, 2)
    labels = torch.tensor([0, 1, 0, 2, 2, 2])
    sums, counts = class_sums([(images[:3], labels[:3]), (images[3:], labels[3:])], 4)
    assert counts.tolist() == [2, 1, 3, 0]
    assert torch.equal(sums[0], (images[0] + images[2]).double())
    assert torch.equal(sums[3], torch.zeros(1, 2, 2, dtype=torch.float64))


def test_shift_makes_synthetic_class_means_equal_to_real_ones():
    gen = torch.Generator().manual_seed(0)
    real_labels = torch.tensor([0] * 8 + [1] * 6 + [2] * (MIN_ROWS_TO_MATCH - 1))
    real = torch.randn(len(real_labels), 3, 4, 5, generator=gen) + real_labels.view(-1, 1, 1, 1)

    def generate(labels: torch.Tensor) -> torch.Tensor:
        return torch.randn(len(labels), 3, 4, 5, generator=gen) * 0.5 - 2.0

    real_mean, real_counts = class_means([(real, real_labels)], 3)
    shift = MeanImageShift().fit(real_mean, real_counts, generate, per_class=50)
    labels = torch.tensor([0] * 50 + [1] * 50 + [2] * 50)
    fresh = generate(labels)
    shifted = shift.apply(fresh, labels)
    for c in (0, 1):
        target = real[real_labels == c].mean(0)
        # a fresh sample's mean differs from the reference sample's by sampling noise only
        assert (shifted[labels == c].mean(0) - target).abs().mean() < 0.15
        assert (fresh[labels == c].mean(0) - target).abs().mean() > 1.0
    # class 2 has too few real images: left as drawn
    assert torch.equal(shifted[labels == 2], fresh[labels == 2])
    assert shift.offset_.dtype == torch.float32


def test_missing_rate_shift_gives_each_class_its_real_rate():
    rng = np.random.default_rng(0)
    margins = rng.normal(0.0, 2.0, size=(3000, 2))
    margins_y = np.repeat([0, 1, 2], 1000)
    real_y = np.repeat([0, 1, 2], [40, 40, MIN_ROWS_TO_MATCH - 1])
    real_missing = np.zeros((len(real_y), 2), dtype=bool)
    real_missing[:10, 0] = True  # class 0: 25% in column 0, never in column 1
    real_missing[40:80, 1] = True  # class 1: never in column 0, always in column 1
    matcher = MissingRateMatcher().fit(margins, margins_y, real_missing, real_y, 3)
    rate = expit(margins[:1000, 0] + matcher.bias_[0, 0]).mean()
    assert abs(rate - 0.25) < 1e-6
    assert matcher.bias_[0, 1] < -1e3 and matcher.bias_[1, 0] < -1e3 and matcher.bias_[1, 1] > 1e3
    # class 2 has too few real rows: left alone
    assert np.array_equal(matcher.bias_[2], [0.0, 0.0])
    bias = matcher.logit_bias([4, 1], n_out=6)
    assert bias.shape == (3, 6)
    assert bias[0, 4] == torch.tensor(matcher.bias_[0, 0], dtype=torch.float32)
    assert torch.count_nonzero(bias[:, [0, 2, 3, 5]]) == 0
