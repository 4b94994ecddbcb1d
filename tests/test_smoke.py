"""The shortest path a user takes: fit_resample on a numeric table."""

from collections import Counter

import numpy as np
from sklearn.datasets import make_classification

from ganaug import GANAugmenter


def test_fit_resample_balances_and_keeps_originals_first():
    X, y = make_classification(n_samples=120, weights=[0.8, 0.2], random_state=0)
    X_res, y_res = GANAugmenter(max_steps=2, random_state=0).fit_resample(X, y)
    counts = Counter(y_res.tolist())
    assert counts[0] == counts[1] == Counter(y.tolist())[0]
    np.testing.assert_array_equal(X_res[: len(X)], X)
    np.testing.assert_array_equal(y_res[: len(y)], y)
    assert np.isfinite(X_res).all()
