"""What makes image fits fast: networks sized to the image, the budget, n_jobs="auto"."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganaug import GANAugmenter
from ganaug.models.image import base_width_for, default_image_steps
from ganaug.training.threads import ThreadTuner, thread_candidates


def _images(n: int, side: int, channels: int = 1, seed: int = 0):
    rng = np.random.default_rng(seed)
    shape = (n, side, side) if channels == 1 else (n, side, side, channels)
    return rng.integers(0, 256, shape, dtype=np.uint8), np.arange(n) % 2


def test_networks_narrow_as_the_image_grows():
    widths = [base_width_for(side) for side in (8, 16, 32, 64, 128)]
    assert widths == sorted(widths, reverse=True)
    assert widths[0] == 32 and widths[2] < widths[0]
    X, y = _images(16, 28)
    aug = GANAugmenter(max_steps=2, batch_size=8, n_jobs=1, random_state=0).fit(X, y)
    assert aug.model_.settings.base_width == base_width_for(32)


def test_default_budget_grows_with_image_count_and_shrinks_with_size():
    assert default_image_steps(5000, 8) >= default_image_steps(500, 8)
    assert default_image_steps(2000, 32) < default_image_steps(2000, 8)
    assert default_image_steps(2000, 32) >= default_image_steps(200, 32)
    for side in (8, 16, 32, 64, 128):
        assert default_image_steps(10, side) >= 500


class _Trainer:
    """Enough of a GANTrainer for the tuner's hooks."""


def test_thread_tuner_times_each_candidate_then_keeps_one():
    before = torch.get_num_threads()
    tuner = ThreadTuner(candidates=(1, 2), warmup=1, timed=2)
    try:
        tuner.on_train_begin(_Trainer())
        seen = []
        for _ in range(8):
            seen.append(torch.get_num_threads())
            tuner.on_step_end(_Trainer(), {})
        tuner.on_train_end(_Trainer())
    finally:
        torch.set_num_threads(before)
    assert seen[:3] == [1, 1, 1] and seen[3:6] == [2, 2, 2]
    assert set(tuner.seconds_per_step) == {1, 2}
    assert tuner.chosen in (1, 2)
    assert seen[6:] == [tuner.chosen] * 2


def test_thread_tuner_on_a_short_run_keeps_the_fastest_timed():
    before = torch.get_num_threads()
    tuner = ThreadTuner(candidates=(1, 2), warmup=1, timed=1)
    try:
        tuner.on_train_begin(_Trainer())
        for _ in range(3):  # the second candidate is never timed
            tuner.on_step_end(_Trainer(), {})
        tuner.on_train_end(_Trainer())
    finally:
        torch.set_num_threads(before)
    assert tuner.chosen == 1


def test_thread_candidates_stay_within_the_cores():
    assert thread_candidates(1) == (1,)
    assert thread_candidates(2) == (1, 2)
    assert thread_candidates(16) == (1, 2, 4)


@pytest.mark.parametrize("side", [8, 28])
def test_n_jobs_auto_resolves_to_a_valid_count_and_restores_the_callers(side):
    X, y = _images(24, side)
    before = torch.get_num_threads()
    aug = GANAugmenter(n_jobs="auto", max_steps=14, batch_size=8, random_state=0).fit(X, y)
    assert torch.get_num_threads() == before
    tuners = [cb for cb in aug.model_.trainer.callbacks if isinstance(cb, ThreadTuner)]
    assert len(tuners) == 1
    assert tuners[0].chosen in thread_candidates()
    assert aug.sample(4)[0].shape == (4, side, side)
    assert torch.get_num_threads() == before


def test_n_jobs_auto_is_accepted_for_tables_too():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 4)), np.arange(60) % 2
    aug = GANAugmenter(n_jobs="auto", max_steps=3, random_state=0).fit(X, y)
    assert aug.n_steps_ == 3


def test_a_bad_n_jobs_string_is_refused():
    X, y = _images(8, 8)
    with pytest.raises(ValueError, match="n_jobs"):
        GANAugmenter(n_jobs="many").fit(X, y)


def test_minibatch_spread_is_the_group_standard_deviation():
    from ganaug.networks.conv import minibatch_std

    h = torch.randn(16, 8, 4, 4, generator=torch.Generator().manual_seed(0))
    expected = (h.reshape(4, 4, -1).var(dim=1, unbiased=False) + 1e-8).sqrt().mean(dim=1)
    spread = minibatch_std(h)
    assert spread.shape == (16, 1)
    torch.testing.assert_close(spread[:, 0], expected.repeat_interleave(4))
