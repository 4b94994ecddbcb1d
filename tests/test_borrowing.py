"""Borrowed strength: a small class's marginals mixed with the other classes' where they agree."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ganaug.sampling.borrowing import (
    MIN_BORROWED,
    ColumnDistributions,
    borrowing_weight,
    mixture_quantiles,
)
from ganaug.sampling.marginals import N_LEVELS, QuantileMatcher


def test_a_small_class_like_the_others_borrows_and_a_different_one_does_not():
    rng = np.random.default_rng(0)
    others = rng.normal(0, 1, 500)
    weights = [borrowing_weight(rng.normal(0, 1, 20), others) for _ in range(20)]
    # about n_own / (n_own + n_other) = 0.04 where nothing tells the class apart
    assert np.median(weights) < 0.2
    assert borrowing_weight(rng.normal(3, 1, 20), others) == 1.0
    # a column that is 0 for every row of the class (hours of those out of work)
    assert borrowing_weight(np.zeros(20), rng.uniform(500, 3000, 500)) == 1.0
    # two large classes alike: each estimate is as good as the other
    big = [borrowing_weight(rng.normal(0, 1, 2000), rng.normal(0, 1, 2000)) for _ in range(5)]
    assert 0.3 < np.mean(big) < 0.7
    assert borrowing_weight(np.zeros(0), others) == 1.0


def test_weights_close_to_one_are_not_worth_borrowing():
    rng = np.random.default_rng(2)
    for shift in np.linspace(0, 2, 9):
        w = borrowing_weight(rng.normal(shift, 1, 50), rng.normal(0, 1, 300))
        assert w == 1.0 or w <= 1.0 - MIN_BORROWED


def test_mixture_quantiles_mix_the_distributions_and_keep_point_masses():
    levels = np.linspace(0, 1, N_LEVELS)
    first, second = 2 * levels, 1.0 + 2 * levels  # uniform on [0, 2] and on [1, 3]
    mixed = mixture_quantiles(first, second, 0.5, levels)
    # within [0, 2]: density 1/4 on [0, 1], 1/2 on [1, 2], scaled to a whole by 4/3
    expected = np.where(levels <= 1 / 3, 3 * levels, 1 + 1.5 * (levels - 1 / 3))
    np.testing.assert_allclose(mixed, expected, atol=0.02)
    assert mixed[0] == 0.0 and mixed[-1] == 2.0 and np.all(np.diff(mixed) >= 0)
    # 40% of the class at exactly 0, the other side uniform on [0, 2] (all in range):
    # a fifth of the half-and-half mixture is 0
    zeros = np.where(levels < 0.4, 0.0, 2 * levels)
    mixed = mixture_quantiles(zeros, 2 * levels, 0.5, levels)
    assert abs((mixed == 0.0).mean() - 0.2) < 0.02
    # nothing outside the first distribution's range
    assert mixture_quantiles(first, 5 + levels, 0.5, levels) == pytest.approx(first)


@pytest.mark.parametrize("borrow", [True, False])
def test_a_small_class_gets_a_better_estimate_of_a_shared_distribution(borrow):
    """Mapped values of a 20-row class whose column is distributed as the others':
    nearer the true distribution with borrowing, and a class that differs keeps its own."""
    distances = []
    for seed in range(8):
        rng = np.random.default_rng(seed)
        real_y = np.repeat([0, 1, 2], [400, 20, 40])
        real = rng.gamma(2.0, 1.0, len(real_y)) + 10.0 * (real_y == 2)
        ref_y = np.repeat([0, 1, 2], 2000)
        synthetic = rng.normal(0, 1, len(ref_y))[:, None]
        matcher = QuantileMatcher(borrow=borrow).fit(real[:, None], real_y, synthetic, ref_y, 3)
        fresh_y = np.repeat([1, 2], 4000)
        mapped = matcher.apply(
            rng.normal(0, 1, (len(fresh_y), 1)), fresh_y, rng.random((len(fresh_y), 1))
        )[:, 0]
        distances.append(stats.kstest(mapped[fresh_y == 1], stats.gamma(2.0).cdf).statistic)
        # the class 10 units away borrows nothing: its range is its own
        assert matcher.own_weight_[2, 0] == 1.0
        own = real[real_y == 2]
        assert own.min() <= mapped[fresh_y == 2].min() and mapped[fresh_y == 2].max() <= own.max()
    if borrow:
        assert np.mean(distances) < 0.09
    else:  # the class's own 20 values: the noise that borrowing removes
        assert np.mean(distances) > 0.11


def test_with_several_other_classes_a_class_borrows_from_the_one_like_it():
    """Two of three classes alike, the third far away: the small class borrows from
    its like only, and none of the far class's values come out in its rows."""
    rng = np.random.default_rng(4)
    real_y = np.repeat([0, 1, 2], [30, 300, 300])
    real = rng.normal(0, 1, len(real_y)) + 8.0 * (real_y == 2)
    own, like, far = (real[real_y == c] for c in range(3))
    weight, source = ColumnDistributions(real, real_y, 3).best_source(0)
    assert list(source) == [1] and weight < 0.3
    assert borrowing_weight(own, far) == 1.0
    assert borrowing_weight(own, np.r_[like, far]) > weight  # all others together: worse
    ref_y = np.repeat([0, 1, 2], 2000)
    synthetic = rng.normal(0, 1, (len(ref_y), 1))
    matcher = QuantileMatcher().fit(real[:, None], real_y, synthetic, ref_y, 3)
    assert matcher.own_weight_[0, 0] == pytest.approx(weight)
    fresh = rng.normal(0, 1, (4000, 1))
    mapped = matcher.apply(fresh, np.zeros(4000, dtype=int), rng.random(fresh.shape))[:, 0]
    assert mapped.max() <= max(own.max(), like.max()) < far.min()
