"""``sampling_strategy`` and ``sample`` give exactly the class counts asked for.

The expected counts are written out by hand from imbalanced-learn's definitions,
so that a change in how the estimator reads a strategy shows up here.
"""

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from ganaug import GANAugmenter

BINARY_COUNTS = {0: 50, 1: 14}
MULTI_COUNTS = {"a": 40, "b": 18, "c": 9}


def _table(counts: dict, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.concatenate([np.full(n, c) for c, n in counts.items()])
    y = y[rng.permutation(len(y))]
    X = rng.normal(size=(len(y), 3))
    X[:, 0] += (y == y[0]).astype(float)  # some class signal, not needed for the counts
    return X, y


def _augmenter(**params) -> GANAugmenter:
    return GANAugmenter(max_steps=1, hidden_units=(16,), latent_dim=8, random_state=0, **params)


def _check_resampled(X, y, X_res, y_res, expected: dict) -> None:
    assert dict(Counter(y_res.tolist())) == expected
    assert len(X_res) == len(y_res) == sum(expected.values())
    # the originals come first, unchanged
    if isinstance(X, pd.DataFrame):
        pd.testing.assert_frame_equal(X_res.iloc[: len(X)], X)
    else:
        np.testing.assert_array_equal(X_res[: len(X)], X)
    np.testing.assert_array_equal(np.asarray(y_res[: len(y)]), np.asarray(y))


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("auto", {0: 50, 1: 50}),
        ("minority", {0: 50, 1: 50}),
        ("not majority", {0: 50, 1: 50}),
        ("not minority", {0: 50, 1: 14}),  # only the majority is eligible: nothing to add
        ("all", {0: 50, 1: 50}),
        (0.5, {0: 50, 1: 25}),  # minority / majority after resampling
        (1.0, {0: 50, 1: 50}),
        ({1: 30}, {0: 50, 1: 30}),
        ({0: 60, 1: 20}, {0: 60, 1: 20}),
        (lambda y: {1: 40}, {0: 50, 1: 40}),
    ],
    ids=[
        "auto",
        "minority",
        "not-majority",
        "not-minority",
        "all",
        "float-0.5",
        "float-1",
        "dict",
        "dict-both",
        "callable",
    ],
)
def test_binary_strategy_gives_exact_counts(strategy, expected):
    X, y = _table(BINARY_COUNTS)
    aug = _augmenter(sampling_strategy=strategy)
    X_res, y_res = aug.fit_resample(X, y)
    _check_resampled(X, y, X_res, y_res, expected)
    added = {c: n - BINARY_COUNTS[c] for c, n in expected.items() if n > BINARY_COUNTS[c]}
    assert {c: n for c, n in aug.sampling_strategy_.items() if n} == added


def _half_of_majority(y: np.ndarray) -> dict:
    majority = Counter(y.tolist()).most_common(1)[0][1]
    return {"b": majority // 2 + 2, "c": majority // 2}


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("auto", {"a": 40, "b": 40, "c": 40}),
        ("minority", {"a": 40, "b": 18, "c": 40}),
        ("not majority", {"a": 40, "b": 40, "c": 40}),
        ("not minority", {"a": 40, "b": 40, "c": 9}),
        ("all", {"a": 40, "b": 40, "c": 40}),
        ({"c": 25}, {"a": 40, "b": 18, "c": 25}),
        ({"a": 41, "b": 18, "c": 10}, {"a": 41, "b": 18, "c": 10}),
        (_half_of_majority, {"a": 40, "b": 22, "c": 20}),
    ],
    ids=["auto", "minority", "not-majority", "not-minority", "all", "dict", "dict-all", "callable"],
)
def test_multiclass_strategy_gives_exact_counts(strategy, expected):
    X, y = _table(MULTI_COUNTS)
    X_res, y_res = _augmenter(sampling_strategy=strategy).fit_resample(X, y)
    _check_resampled(X, y, X_res, y_res, expected)
    # the synthetic rows are all of the classes that were topped up
    added = {c: n - MULTI_COUNTS[c] for c, n in expected.items() if n > MULTI_COUNTS[c]}
    assert dict(Counter(y_res[len(y) :].tolist())) == added


def test_dataframe_and_series_keep_counts_and_originals():
    X, y = _table(MULTI_COUNTS, seed=1)
    frame = pd.DataFrame(X, columns=["u", "v", "w"])
    labels = pd.Series(y, name="target")
    X_res, y_res = _augmenter(sampling_strategy="minority").fit_resample(frame, labels)
    assert isinstance(X_res, pd.DataFrame) and isinstance(y_res, pd.Series)
    _check_resampled(frame, labels, X_res, y_res, {"a": 40, "b": 18, "c": 40})
    pd.testing.assert_series_equal(y_res.iloc[: len(labels)], labels)


@pytest.fixture(scope="module")
def fitted() -> GANAugmenter:
    X, y = _table(MULTI_COUNTS, seed=2)
    return _augmenter().fit(X, y)


def test_sample_dict_gives_each_count(fitted):
    X_new, y_new = fitted.sample({"a": 3, "c": 7, "b": 0})
    assert X_new.shape == (10, 3)
    assert dict(Counter(y_new.tolist())) == {"a": 3, "c": 7}
    assert y_new.dtype == np.dtype("<U1")  # the dtype of the y given to fit


def test_sample_n_of_one_class(fitted):
    X_new, y_new = fitted.sample(6, y="b")
    assert X_new.shape == (6, 3)
    assert y_new.tolist() == ["b"] * 6


def test_sample_n_splits_evenly_remainder_to_first_classes(fitted):
    _, y_new = fitted.sample(8)
    # 8 over 3 classes: 3, 3, 2, the remainder going to the first classes in classes_ order
    assert dict(Counter(y_new.tolist())) == {"a": 3, "b": 3, "c": 2}
    _, y_new = fitted.sample(9)
    assert dict(Counter(y_new.tolist())) == {"a": 3, "b": 3, "c": 3}


def test_sample_zero_gives_empty_output_of_the_right_shape(fitted):
    X_new, y_new = fitted.sample(0, y="a")
    assert X_new.shape == (0, 3)
    assert y_new.shape == (0,)
    X_new, y_new = fitted.sample({})
    assert X_new.shape == (0, 3)


def test_sample_accepts_numpy_scalar_labels(fitted):
    X_new, y_new = fitted.sample({np.str_("c"): 2})
    assert y_new.tolist() == ["c", "c"]
    X_new, y_new = fitted.sample(np.int64(2), y=fitted.classes_[0])
    assert y_new.tolist() == ["a", "a"]
