"""Dependence matching: each class's synthetic continuous columns get its real rank
correlations (mixed with the other classes' where they differ only by chance), keep
their own marginals, and the maps are saved with the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from ganaug import GANAugmenter
from ganaug.sampling.dependence import (
    DependenceMatcher,
    class_target,
    generator_weight,
    own_weight,
)


def _correlated(rng: np.random.Generator, n: int, rho: float) -> np.ndarray:
    cov = np.array([[1.0, rho], [rho, 1.0]])
    return rng.multivariate_normal([0.0, 0.0], cov, size=n)


def test_a_class_gets_its_real_correlation_and_keeps_its_marginals():
    rng = np.random.default_rng(0)
    real = np.exp(_correlated(rng, 2000, 0.9))  # skewed: ranks, not values, carry it
    real_y = np.zeros(2000, dtype=np.int64)
    synthetic = np.column_stack([rng.gamma(2.0, size=4000), rng.uniform(5, 9, 4000)])
    syn_y = np.zeros(4000, dtype=np.int64)
    matcher = DependenceMatcher().fit(real, real_y, synthetic, syn_y, 1)
    fresh = np.column_stack([rng.gamma(2.0, size=4000), rng.uniform(5, 9, 4000)])
    before = fresh.copy()
    out = matcher.apply(fresh, syn_y)
    np.testing.assert_array_equal(fresh, before)  # the caller's array is not changed
    assert abs(spearmanr(fresh[:, 0], fresh[:, 1])[0]) < 0.05
    assert spearmanr(out[:, 0], out[:, 1])[0] > 0.85
    for j in range(2):  # the generator's marginal, not the real one, comes out
        q = [0.1, 0.5, 0.9]
        np.testing.assert_allclose(np.quantile(out[:, j], q), np.quantile(fresh[:, j], q), rtol=0.1)
    assert out[:, 1].min() >= 5 and out[:, 1].max() <= 9


def _two_classes(small: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Normal scores recoloured for class 1 (``small``) beside 3,000 rows at 0.8 (class 0)."""
    real = np.vstack([_correlated(rng, 3000, 0.8), small])
    real_y = np.r_[np.zeros(3000), np.ones(len(small))].astype(np.int64)
    syn_y = np.repeat([0, 1], 5000)
    matcher = DependenceMatcher().fit(real, real_y, rng.normal(size=(10000, 2)), syn_y, 2)
    out = matcher.apply(rng.normal(size=(10000, 2)), syn_y)
    assert np.corrcoef(out[syn_y == 0].T)[0, 1] > 0.75
    return out[syn_y == 1]


def test_a_small_class_that_differs_by_chance_takes_the_other_classes_correlation():
    rng = np.random.default_rng(5)
    small = _correlated(rng, 15, 0.8)  # fifteen rows that happen to show 0.64
    own = spearmanr(small[:, 0], small[:, 1])[0]
    assert 0.6 < own < 0.7
    got = np.corrcoef(_two_classes(small, rng).T)[0, 1]
    assert own + 0.04 < got < 0.8  # pulled towards the others' 0.8, not all the way


def test_a_class_whose_columns_move_otherwise_keeps_its_own_correlation():
    rng = np.random.default_rng(2)
    small = _correlated(rng, 15, -0.7)
    got = np.corrcoef(_two_classes(small, rng).T)[0, 1]
    assert abs(got - spearmanr(small[:, 0], small[:, 1])[0]) < 0.1


def test_the_own_weight_grows_with_the_rows_and_the_difference():
    same, other = np.array([[1.0, 0.5], [0.5, 1.0]]), np.array([[1.0, 0.4], [0.4, 1.0]])
    unlike = np.array([[1.0, -0.5], [-0.5, 1.0]])
    assert own_weight(same, 20, other, 500) < 0.2
    assert own_weight(same, 20, other, 500) < own_weight(same, 5000, other, 500)
    assert own_weight(unlike, 20, other, 500) > 0.9
    assert own_weight(same, 1, other, 500) == 0.0


def test_a_generator_within_the_estimates_noise_is_barely_moved():
    rng = np.random.default_rng(7)
    small = _correlated(rng, 20, 0.3)  # twenty rows: their correlation is off by about 0.2
    syn_y = np.zeros(6000, dtype=np.int64)
    generator = _correlated(rng, 6000, 0.3)  # the generator already has it right
    matcher = DependenceMatcher().fit(small, np.zeros(20, np.int64), generator, syn_y, 1)
    got = np.corrcoef(matcher.apply(_correlated(rng, 6000, 0.3), syn_y).T)[0, 1]
    own = np.corrcoef(small.T)[0, 1]
    assert abs(own - 0.3) > 0.1  # the estimate is off by chance ...
    assert abs(got - 0.3) < abs(own - 0.3) / 2  # ... and the generator keeps most of its own


def test_the_generator_weight_moves_only_what_the_noise_does_not_explain():
    def matrix(r: float) -> np.ndarray:
        return np.array([[1.0, r], [r, 1.0]])

    target, variance = class_target(matrix(0.9), 20, None, 0)
    assert variance == (1 - 0.81) ** 2 / 20
    assert generator_weight(target, variance, matrix(0.3)) > 0.99  # far off: moved all the way
    assert generator_weight(target, variance, matrix(0.88)) == 0.0  # within the noise: kept
    mixed, mixed_variance = class_target(matrix(0.5), 20, matrix(0.4), 500)
    assert 0.4 < mixed[0, 1] < 0.5 and mixed_variance < (1 - 0.16) ** 2 / 20
    assert generator_weight(matrix(0.5), 0.0, matrix(0.5)) == 0.0


def test_missing_values_stay_missing_and_one_column_is_left_alone():
    rng = np.random.default_rng(2)
    real = _correlated(rng, 500, 0.9)
    real[rng.random(500) < 0.2, 1] = np.nan
    y = np.zeros(500, dtype=np.int64)
    synthetic = rng.normal(size=(2000, 2))
    synthetic[rng.random(2000) < 0.2, 1] = np.nan
    out = (
        DependenceMatcher()
        .fit(real, y, synthetic, np.zeros(2000, dtype=np.int64), 1)
        .apply(synthetic, np.zeros(2000, dtype=np.int64))
    )
    np.testing.assert_array_equal(np.isnan(out), np.isnan(synthetic))
    both = ~np.isnan(out).any(axis=1)
    assert np.corrcoef(out[both].T)[0, 1] > 0.8
    one = DependenceMatcher().fit(real[:, :1], y, synthetic[:, :1], np.zeros(2000, int), 1)
    np.testing.assert_array_equal(
        one.apply(synthetic[:, :1], np.zeros(2000, int)), synthetic[:, :1]
    )


def test_an_untrained_generator_comes_out_correlated_like_the_real_rows(tmp_path):
    rng = np.random.default_rng(3)
    y = np.repeat([0, 1], [400, 40])
    # two ages that move together (no exact or power-law relation: the correlation is 0.8)
    base = _correlated(rng, 440, 0.8)
    frame = pd.DataFrame(
        {
            "age": np.round(40 + 8 * base[:, 0]),
            "partner_age": np.round(42 + 8 * base[:, 1]),
            "income": rng.gamma(3.0, 10.0, 440).round(1),
        }
    )
    aug = GANAugmenter(max_steps=2, hidden_units=(16,), latent_dim=4, n_critic=1, random_state=0)
    aug.fit(frame, y)
    rows, labels = aug.sample({1: 2000}, random_state=1)
    assert spearmanr(rows["age"], rows["partner_age"])[0] > 0.6
    assert abs(spearmanr(rows["age"], rows["income"])[0]) < 0.2
    aug.save(tmp_path / "model")
    loaded = GANAugmenter.load(tmp_path / "model")
    pd.testing.assert_frame_equal(
        loaded.sample({1: 300}, random_state=4)[0], aug.sample({1: 300}, random_state=4)[0]
    )
    off = GANAugmenter(
        max_steps=2, hidden_units=(16,), latent_dim=4, n_critic=1, moment_matching=False
    ).fit(frame, y)
    assert off.model_.dependence is None
