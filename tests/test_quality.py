"""The label-fidelity gate (filter_samples) and quality_report, for tables and images."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_digits, make_classification

from ganaug import GANAugmenter
from ganaug.quality import LabelGate, gated_generate, quality_table


def _table():
    X, y = make_classification(
        n_samples=300,
        n_features=6,
        n_informative=4,
        weights=[0.8, 0.2],
        class_sep=2.0,
        random_state=0,
    )
    return X, y


def _digits(n=60):
    X, y = load_digits(return_X_y=True)
    return np.round(X.reshape(-1, 8, 8)[:n] * (255 / 16)).astype(np.uint8), y[:n]


def test_gate_redraws_rejected_samples_and_reports_the_rate():
    # a generator whose class-1 samples are read as class 1 only half of the time
    gate = LabelGate().fit(np.r_[np.zeros((20, 1)), np.ones((20, 1))], np.r_[[0] * 20, [1] * 20])

    def generate(y_idx, rng):
        coin = torch.rand(len(y_idx), generator=rng).numpy() < 0.5
        value = np.where((y_idx == 1) & coin, 1.0, 0.0)
        return torch.as_tensor(value, dtype=torch.float32)[:, None]

    samples, labels, rates = gated_generate(
        generate,
        lambda s: s.numpy(),
        gate,
        np.r_[[1] * 50, [0] * 30],
        torch.Generator().manual_seed(0),
        2,
    )
    assert list(np.bincount(labels)) == [30, 50]
    assert (samples[labels == 1] == 1).all() and (samples[labels == 0] == 0).all()
    assert rates[0] == 0.0 and 0.3 < rates[1] < 0.7
    assert labels[0] == 1  # the caller's class order is kept


def test_gate_warns_when_a_class_cannot_be_filled():
    gate = LabelGate().fit(np.r_[np.zeros((20, 1)), np.ones((20, 1))], np.r_[[0] * 20, [1] * 20])
    with pytest.warns(UserWarning, match="could not fill"):
        samples, labels, rates = gated_generate(
            lambda y, rng: torch.zeros(len(y), 1),
            lambda s: s.numpy(),
            gate,
            np.r_[[1] * 5],
            torch.Generator().manual_seed(0),
            2,
            max_rounds=3,
        )
    assert len(labels) == 0 and rates[1] == 1.0


def test_filter_samples_on_a_table():
    X, y = _table()
    aug = GANAugmenter(max_steps=20, filter_samples=True, n_jobs=1, random_state=0)
    with _no_check():
        X_res, y_res = aug.fit_resample(X, y)
    assert set(aug.rejection_rate_) == {0, 1}
    assert all(0.0 <= r <= 1.0 for r in aug.rejection_rate_.values())
    # every kept synthetic row is read as its class by a classifier of the real data
    new, labels = X_res[len(X) :], y_res[len(y) :]
    gate = aug._gate
    from ganaug._validation import check_table
    from ganaug.quality import features

    frame, _ = check_table(new, None)
    assert gate.accept(features(aug.model_, frame), labels).all()


def test_filter_samples_on_images():
    X, y = _digits()
    aug = GANAugmenter(max_steps=2, batch_size=8, filter_samples=True, n_jobs=1, random_state=0)
    with _no_check():
        aug.fit(X, y)
        X_new, y_new = aug.sample(20, y=3)
    assert set(aug.rejection_rate_) == set(range(10))
    assert X_new.dtype == np.uint8 and X_new.shape[1:] == (8, 8)
    from ganaug.encoders.image import check_images
    from ganaug.quality import features

    x, _ = check_images(X_new) if len(X_new) else (torch.zeros(0, 1, 8, 8), None)
    assert aug._gate.accept(features(aug.model_, x), np.full(len(X_new), 3)).all()


def test_quality_report_on_a_table():
    X, y = _table()
    aug = GANAugmenter(max_steps=20, n_jobs=1, random_state=0).fit(X[:200], y[:200])
    report = aug.quality_report(X[200:], y[200:])
    assert list(report.index) == [0, 1]
    assert {"label_fidelity", "detection_auc", "dcr_ratio", "n_real", "n_synthetic"} <= set(report)
    assert report["label_fidelity"].between(0, 1).all()
    assert report["detection_auc"].between(0, 1).all()
    assert (report["dcr_ratio"] > 0).all()
    again = aug.quality_report(X[200:], y[200:])
    pd.testing.assert_frame_equal(report, again)  # repeatable


def test_quality_report_on_images_and_unknown_labels():
    X, y = _digits(100)
    aug = GANAugmenter(max_steps=2, batch_size=8, n_jobs=1, random_state=0).fit(X[:60], y[:60])
    report = aug.quality_report(X[60:], y[60:])
    assert set(report.index) == set(y[60:].tolist())
    assert (report["n_synthetic"] >= 100).all()
    with pytest.raises(ValueError, match="not fitted on"):
        aug.quality_report(X[60:], y[60:] + 100)


def test_quality_table_separates_copies_from_noise():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(60, 4))
    y = np.repeat([0, 1], 30)
    real[y == 1] += 4
    copies = quality_table(real, y, real.copy(), y, np.array(["a", "b"]))
    noise = quality_table(real, y, rng.normal(size=(60, 4)) * 5 + 10, y, np.array(["a", "b"]))
    assert (copies["dcr_ratio"] < 0.01).all()
    assert (copies["label_fidelity"] == 1).all()
    assert (noise["detection_auc"] > 0.9).all()
    assert (copies["detection_auc"] < noise["detection_auc"]).all()


class _no_check:
    """A context that lets the gate's "could not fill" warning through untested."""

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", UserWarning)

    def __exit__(self, *exc):
        self._ctx.__exit__(*exc)
