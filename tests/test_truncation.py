"""Truncation per class: the noise spread each class of an image model samples with."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from ganaug import GANAugmenter
from ganaug.sampling.truncation import MIN_CLASS_IMAGES, PSI_GRID, fit_truncation


def _digits(n: int = 200):
    X, y = load_digits(return_X_y=True)
    return np.round(X[:n].reshape(-1, 8, 8) * (255 / 16)).astype(np.uint8), y[:n]


def _small(**kw):
    return GANAugmenter(max_steps=2, batch_size=8, n_jobs=1, random_state=0, **kw)


def _blobs(n: int = 40):
    """Three classes of real points around -2, 0 and 2 (one feature repeated twice)."""
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], n)
    return (y[:, None] * 2.0 - 2.0 + rng.normal(0, 0.4, (3 * n, 2))), y


def _generator(noise_per_class):
    """Class c at its real centre plus noise of std ``noise_per_class[c]`` times psi."""
    scale = torch.as_tensor(noise_per_class, dtype=torch.float64)

    def generate(y_idx, rng, psi):
        y_t = torch.as_tensor(y_idx)
        z = torch.randn(len(y_idx), 2, generator=rng, dtype=torch.float64)
        spread = (torch.as_tensor(psi, dtype=torch.float64) * scale)[y_t, None]
        return y_t[:, None] * 2.0 - 2.0 + z * spread

    return generate


def test_a_class_drawn_too_widely_is_truncated_and_a_faithful_one_is_not():
    X, y = _blobs()
    psi = fit_truncation(_generator([0.4, 4.0, 0.4]), np.asarray, X, y, 3, 0, torch.device("cpu"))
    assert psi.dtype == np.float32 and psi.shape == (3,)
    assert psi[0] == 1.0 and psi[2] == 1.0
    assert psi[1] < 1.0 and psi[1] in np.float32(PSI_GRID)


def test_a_gap_within_the_noise_of_the_estimates_truncates_nothing():
    """Samples a little wider than real ones are read right about as often: no truncation."""
    X, y = _blobs()
    psi = fit_truncation(_generator([0.5, 0.5, 0.5]), np.asarray, X, y, 3, 0, torch.device("cpu"))
    assert np.all(psi == 1.0)


def test_classes_too_small_to_judge_keep_their_full_spread():
    X, y = _blobs()
    keep = np.r_[np.flatnonzero(y != 1), np.flatnonzero(y == 1)[: MIN_CLASS_IMAGES - 1]]
    generate = _generator([0.4, 4.0, 0.4])
    psi = fit_truncation(generate, np.asarray, X[keep], y[keep], 3, 0, torch.device("cpu"))
    assert psi[1] == 1.0
    # one class left to judge: no classifier can be trained, nothing is truncated
    only = np.flatnonzero(y == 0)
    psi = fit_truncation(generate, np.asarray, X[only], y[only], 3, 0, torch.device("cpu"))
    assert np.all(psi == 1.0)


def test_the_model_scales_each_classes_noise_by_its_spread():
    X, y = _digits()
    aug = _small(truncation=1.0).fit(X, y)
    model = aug.model_
    labels = np.repeat([0, 1], 50)

    def draw(psi):
        rng = torch.Generator()
        rng.manual_seed(3)
        return model.generate(labels, rng, psi)

    spreads = np.ones(10, dtype=np.float32)
    spreads[1] = 0.0  # every sample of class 1 from z = 0: all alike
    images = draw(spreads)
    assert torch.equal(images[50:], images[50:51].expand(50, -1, -1, -1))
    assert not torch.equal(images[:50], images[:1].expand(50, -1, -1, -1))
    # the same random stream, only scaled: class 0 is as drawn without truncation
    assert torch.equal(images[:50], draw(np.ones(10, dtype=np.float32))[:50])


def test_auto_fits_a_spread_per_class_and_a_number_applies_to_all():
    X, y = _digits()
    assert _small().fit(X, y).model_.truncation is None  # off by default
    auto = _small(truncation="auto").fit(X, y)
    assert set(auto.truncation_) == set(range(10))
    assert all(v in np.float32(PSI_GRID) for v in auto.truncation_.values())
    assert np.allclose(auto.model_.truncation, list(auto.truncation_.values()))
    fixed = _small(truncation=0.7).fit(X, y)
    assert fixed.truncation_ == {c: pytest.approx(0.7) for c in range(10)}
    off = _small(truncation=1).fit(X, y)
    assert off.model_.truncation is None and set(off.truncation_.values()) == {1.0}


def test_tables_have_no_truncation():
    X = np.random.default_rng(0).normal(size=(60, 3))
    assert _small().fit(X, np.arange(60) % 2).truncation_ is None


@pytest.mark.parametrize("bad", [0, -0.5, 1.5, "half", None])
def test_a_bad_truncation_fails_before_training(bad):
    X, y = _digits(40)
    with pytest.raises((ValueError, TypeError), match="truncation"):
        _small(truncation=bad).fit(X, y)


def test_the_spreads_survive_save_and_load(tmp_path):
    X, y = _digits()
    aug = _small(truncation=0.8).fit(X, y)
    aug.save(tmp_path / "digits.ganaug")
    loaded = GANAugmenter.load(tmp_path / "digits.ganaug")
    assert loaded.truncation_ == aug.truncation_
    assert np.array_equal(loaded.model_.truncation, aug.model_.truncation)
    assert np.array_equal(aug.sample(8, random_state=1)[0], loaded.sample(8, random_state=1)[0])


def test_a_file_saved_before_truncation_loads_without_it(tmp_path):
    """Files from before hold no spreads, as a fit with ``truncation=1``: psi is 1 for all."""
    X, y = _digits()
    aug = _small(truncation=1.0).fit(X, y)
    aug.save(tmp_path / "old.ganaug")
    loaded = GANAugmenter.load(tmp_path / "old.ganaug")
    assert loaded.model_.truncation is None
    assert loaded.truncation_ == {c: 1.0 for c in range(10)}
