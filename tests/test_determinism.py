"""random_state makes results repeatable, and nothing of the caller's changes."""

import copy
import random

import numpy as np
import pandas as pd
import pytest
import torch

from ganaug import GANAugmenter


def _arrays(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1, 2], [40, 15, 8])
    X = rng.normal(size=(len(y), 4)) + y[:, None]
    return X, y


def _frame(seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    X, y = _arrays(seed)
    frame = pd.DataFrame(
        {
            "x": X[:, 0],
            "n": np.round(X[:, 1] * 10).astype(np.int64),
            "cat": pd.Categorical(np.where(X[:, 2] > 0, "hi", "lo")),
            "s": np.where(X[:, 3] > 0.5, "p", "q").astype(object),
            "f": np.where(X[:, 3] > 1.0, np.nan, X[:, 3]),
        }
    )
    return frame, pd.Series(np.array(["r", "s", "t"])[y], name="label")


def _augmenter(seed, **params) -> GANAugmenter:
    defaults = dict(max_steps=3, hidden_units=(16,), latent_dim=8, random_state=seed)
    return GANAugmenter(**{**defaults, **params})


def test_same_seed_gives_identical_ndarray_output_and_history():
    X, y = _arrays()
    a, b = _augmenter(0), _augmenter(0)
    X_a, y_a = a.fit_resample(X, y)
    X_b, y_b = b.fit_resample(X, y)
    np.testing.assert_array_equal(X_a, X_b)
    np.testing.assert_array_equal(y_a, y_b)
    assert a.history_ == b.history_
    assert len(a.history_) == 3


def test_same_seed_gives_identical_dataframe_output():
    X, y = _frame()
    X_a, y_a = _augmenter(5).fit_resample(X, y)
    X_b, y_b = _augmenter(5).fit_resample(X, y)
    pd.testing.assert_frame_equal(X_a, X_b)
    pd.testing.assert_series_equal(y_a, y_b)


def test_different_seeds_give_different_samples():
    X, y = _arrays()
    X_a, _ = _augmenter(0).fit_resample(X, y)
    X_b, _ = _augmenter(1).fit_resample(X, y)
    assert X_a.shape == X_b.shape
    np.testing.assert_array_equal(X_a[: len(X)], X_b[: len(X)])
    assert not np.array_equal(X_a[len(X) :], X_b[len(X) :])


def test_global_random_states_are_untouched():
    X, y = _arrays()
    torch_state = torch.get_rng_state()
    np_state = np.random.get_state()  # noqa: NPY002 -- the global state is the point
    py_state = random.getstate()
    aug = _augmenter(0).fit(X, y)
    aug.sample(10)
    aug.fit_resample(X, y)
    assert torch.equal(torch.get_rng_state(), torch_state)
    after = np.random.get_state()  # noqa: NPY002
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1])
    assert after[2:] == np_state[2:]
    assert random.getstate() == py_state


def test_torch_thread_setting_is_restored():
    X, y = _arrays()
    previous = torch.get_num_threads()
    caller = 3 if previous != 3 else 2
    torch.set_num_threads(caller)
    try:
        aug = _augmenter(0).fit(X, y)
        assert torch.get_num_threads() == caller
        aug.sample(4)
        assert torch.get_num_threads() == caller
        _augmenter(0, n_jobs=2).fit_resample(X, y)
        assert torch.get_num_threads() == caller
    finally:
        torch.set_num_threads(previous)


def test_inputs_are_never_modified():
    X, y = _arrays()
    frame, labels = _frame()
    X_copy, y_copy = X.copy(), y.copy()
    frame_copy, labels_copy = copy.deepcopy(frame), copy.deepcopy(labels)
    _augmenter(0).fit_resample(X, y)
    aug = _augmenter(0, categorical_features=["n"]).fit(frame, labels)
    aug.fit_resample(frame, labels)
    aug.sample({"t": 3})
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    pd.testing.assert_frame_equal(frame, frame_copy)
    pd.testing.assert_series_equal(labels, labels_copy)
    assert X.flags.writeable and frame.index.equals(frame_copy.index)


def test_sample_draws_new_rows_in_a_sequence_that_repeats_after_refit():
    X, y = _arrays()
    aug = _augmenter(0).fit(X, y)
    first, _ = aug.sample(6, y=1)
    second, _ = aug.sample(6, y=1)
    assert not np.array_equal(first, second)
    aug.fit(X, y)
    np.testing.assert_array_equal(aug.sample(6, y=1)[0], first)
    np.testing.assert_array_equal(aug.sample(6, y=1)[0], second)


def test_sample_with_random_state_is_repeatable_and_leaves_the_sequence():
    X, y = _arrays()
    aug = _augmenter(0).fit(X, y)
    a, _ = aug.sample(5, y=2, random_state=7)
    b, _ = aug.sample(5, y=2, random_state=7)
    c, _ = aug.sample(5, y=2, random_state=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # a fresh fit's first default draw is the same whether or not seeded draws came first
    other = _augmenter(0).fit(X, y)
    np.testing.assert_array_equal(aug.sample(5, y=2)[0], other.sample(5, y=2)[0])


@pytest.mark.parametrize("random_state", [np.random.RandomState(3), None])
def test_non_int_random_state_still_fits(random_state):
    X, y = _arrays()
    X_res, y_res = _augmenter(random_state).fit_resample(X, y)
    assert len(X_res) == len(y_res) == 3 * 40
