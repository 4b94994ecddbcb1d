"""The label-fidelity gate (filter_samples) and quality_report, for tables and images."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_digits, make_classification

from ganaug import GANAugmenter
from ganaug.evaluation import quality_table
from ganaug.sampling.gate import LabelGate, gated_generate


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


def test_gate_tops_up_a_class_it_cannot_fill_with_its_best_rejects():
    # class 1 sits at 1; every draw lies below the gate's threshold (about 0.5)
    gate = LabelGate().fit(np.r_[np.zeros((20, 1)), np.ones((20, 1))], np.r_[[0] * 20, [1] * 20])
    drawn = []

    def generate(y, rng):
        values = torch.rand(len(y), 1, generator=rng) * 0.4
        drawn.append(values)
        return values

    with pytest.warns(UserWarning, match="could not fill.*topped up"):
        samples, labels, rates = gated_generate(
            generate,
            lambda s: s.numpy(),
            gate,
            np.r_[[1] * 5],
            torch.Generator().manual_seed(0),
            2,
            max_rounds=3,
        )
    assert rates[1] == 1.0 and list(labels) == [1] * 5  # the count asked for comes back
    everything = torch.cat(drawn).flatten()
    assert len(everything) > 5
    # the five the classifier rates most likely to be class 1: the five largest values
    assert torch.equal(samples.flatten(), torch.sort(everything, descending=True).values[:5])


def test_gate_reads_a_small_class_as_itself_despite_the_imbalance():
    # 300 real samples of class 0 around 0, six of class 1 around 1: an unweighted
    # regression draws its line past 1.5 and would reject class 1's own centre
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 0.3, (300, 1)), rng.normal(1, 0.3, (6, 1))]
    y = np.r_[[0] * 300, [1] * 6]
    gate = LabelGate().fit(X, y)
    assert gate.accept(np.array([[1.0], [0.0]]), np.array([1, 0])).all()
    assert not gate.accept(np.array([[0.0]]), np.array([1])).any()


def test_filter_samples_auto_gates_images_and_not_tables():
    X, y = _digits()
    images = GANAugmenter(max_steps=2, batch_size=8, n_jobs=1, random_state=0)
    assert images.filter_samples == "auto"
    with _no_check():
        images.fit(X, y)
    assert images._gate is not None and set(images.rejection_rate_) == set(range(10))
    # pooled pixels go to the regression unscaled; a table's encoding is standardised
    assert [name for name, _ in images._gate.classifier_.steps] == ["logisticregression"]
    off = GANAugmenter(max_steps=2, batch_size=8, n_jobs=1, random_state=0, filter_samples=False)
    assert off.fit(X, y)._gate is None and not hasattr(off, "rejection_rate_")
    Xt, yt = _table()
    table = GANAugmenter(max_steps=2, n_jobs=1, random_state=0).fit(Xt, yt)
    assert table._gate is None and not hasattr(table, "rejection_rate_")
    on = GANAugmenter(max_steps=2, n_jobs=1, random_state=0, filter_samples=True).fit(Xt, yt)
    assert on._gate.scaled and len(on._gate.classifier_.steps) == 2


@pytest.mark.parametrize("bad", ["yes", 1.5, None])
def test_bad_filter_samples_fails_before_training(bad):
    X, y = _digits()
    aug = GANAugmenter(filter_samples=bad)
    with pytest.raises((ValueError, TypeError), match="filter_samples"):
        aug.fit(X, y)
    assert not hasattr(aug, "model_")


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
    from ganaug.inputs.table import check_table
    from ganaug.sampling.gate import features

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
    from ganaug.sampling.gate import features

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
    # NaN for classes with fewer than 6 held-out images
    assert report["detection_auc"].dropna().between(0, 1).all()
    assert not set(REALISM_COLUMNS[1:]) & set(report)  # table-only columns are absent
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


# -- realism of table rows (issue 10) ------------------------------------------------------


def _mixed(n=400, seed=0):
    """A table with a whole-number column, a category class 1 never has, and an order rule."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    years = np.round(rng.gamma(2.0, 3.0, n))
    frame = pd.DataFrame(
        {
            "years": years,
            "in_role": np.floor(rng.random(n) * (years + 1)),
            "amount": rng.normal(3, 1, n) + 2 * y,
            "plan": np.where(y == 1, rng.choice(["a", "b"], n), rng.choice(["a", "b", "c"], n)),
        }
    )
    return frame, y


@pytest.fixture(scope="module")
def fitted_mixed():
    frame, y = _mixed()
    aug = GANAugmenter(max_steps=10, n_jobs=1, random_state=0).fit(frame[:280], y[:280])
    return aug, frame, y


REALISM_COLUMNS = [
    "detection_auc",
    "detection_auc_smote",
    "impossible_pairs",
    "rule_violations",
    "on_grid",
    "novelty_share",
]


def test_quality_report_realism_columns_on_a_table(fitted_mixed):
    aug, frame, y = fitted_mixed
    report = aug.quality_report(frame[280:], y[280:], X_train=frame[:280], y_train=y[:280])
    assert list(report.index) == [0, 1]
    for column in REALISM_COLUMNS:
        assert report[column].between(0, 1).all(), column
    assert {"label_fidelity", "dcr_ratio", "n_real", "n_synthetic"} <= set(report)
    again = aug.quality_report(frame[280:], y[280:], X_train=frame[:280], y_train=y[:280])
    pd.testing.assert_frame_equal(report, again)  # repeatable
    # without the training rows the novelty share cannot be measured
    plain = aug.quality_report(frame[280:], y[280:])
    assert plain["novelty_share"].isna().all()
    assert plain["detection_auc"].between(0, 1).all()


def test_quality_report_counts_breaks_of_the_fitted_rules(fitted_mixed):
    from ganaug.sampling.rules import parse_rule

    aug, frame, y = fitted_mixed
    kept = aug.rules_
    try:
        aug.rules_ = [parse_rule("amount == years + 1000")]  # no row keeps it
        report = aug.quality_report(frame[280:], y[280:])
    finally:
        aug.rules_ = kept
    assert (report["rule_violations"] == 1).all()


def test_quality_report_checks_the_training_rows(fitted_mixed):
    aug, frame, y = fitted_mixed
    with pytest.raises(ValueError, match="X_train has columns"):
        aug.quality_report(
            frame[280:], y[280:], X_train=frame[:280].drop(columns="plan"), y_train=y[:280]
        )
    with pytest.raises(ValueError, match="y_train holds labels the augmenter was not fitted on"):
        aug.quality_report(frame[280:], y[280:], X_train=frame[:280], y_train=y[:280] + 5)
    with pytest.raises(ValueError, match="X_train was given without y_train"):
        aug.quality_report(frame[280:], y[280:], X_train=frame[:280])
    with pytest.raises(ValueError, match="y_train was given without X_train"):
        aug.quality_report(frame[280:], y[280:], y_train=y[:280])
    with pytest.raises(ValueError, match="different lengths"):
        aug.quality_report(frame[280:], y[280:], X_train=frame[:280], y_train=y[:100])


def test_realism_table_counts_copies_far_rows_impossible_pairs_and_broken_rules():
    from ganaug.evaluation import realism_table
    from ganaug.sampling.rules import parse_rule

    frame, y = _mixed(n=600)
    train, y_train, held, y_held = frame[:400], y[:400], frame[400:], y[400:]
    classes = np.array([0, 1])
    kw = {"categorical": ["plan"], "rules": [parse_rule("in_role <= years")]}
    copies = realism_table(
        held, y_held, train, y_train, classes, train=train, y_train=y_train, **kw
    )
    assert (copies["novelty_share"] > 0.9).all()
    assert (copies[["impossible_pairs", "rule_violations"]] == 0).all().all()
    assert (copies["on_grid"] == 1).all()

    far = train.copy()
    far["amount"] += 50
    far["years"] += 0.5  # off the whole-number grid
    report = realism_table(held, y_held, far, y_train, classes, train=train, y_train=y_train, **kw)
    assert (report["detection_auc"] > 0.9).all()
    assert (report["detection_auc_smote"] < 0.8).all()  # SMOTE's rows sit among the real ones
    assert (report["on_grid"] < 0.6).all()
    assert (report["novelty_share"] < 0.2).all()

    planted = train.copy()
    ones = np.flatnonzero(y_train == 1)
    planted.loc[ones[:10], "plan"] = "c"  # class 1 never has plan c
    planted.loc[ones[10:30], "in_role"] = planted.loc[ones[10:30], "years"] + 1
    report = realism_table(
        held, y_held, planted, y_train, classes, train=train, y_train=y_train, **kw
    )
    assert report.loc[1, "impossible_pairs"] == pytest.approx(10 / len(ones))
    assert report.loc[1, "rule_violations"] == pytest.approx(20 / len(ones))
    assert report.loc[0, "impossible_pairs"] == 0 and report.loc[0, "rule_violations"] == 0


def test_novelty_share_of_copies_fresh_rows_and_far_rows():
    from ganaug.realism_metrics import novelty_share

    rng = np.random.default_rng(0)
    train, held, fresh = (
        rng.normal(size=(500, 3)),
        rng.normal(size=(300, 3)),
        rng.normal(size=(300, 3)),
    )
    assert novelty_share(train, held, train[:200]) == 1.0
    assert novelty_share(train, held, fresh) < 0.15
    assert novelty_share(train, held, fresh + 10) == 0.0
    assert np.isnan(novelty_share(train, held[:0], fresh))


def test_smote_rows_keep_missing_values_and_categories():
    from ganaug.realism_metrics import smote_rows

    frame, y = _mixed(n=300)
    frame.loc[::2, "amount"] = np.nan
    before = frame.copy()
    new, y_new = smote_rows(frame, y, ["plan"], {1: 50, 0: 0}, seed=0)
    assert list(new.columns) == list(frame.columns) and len(new) == 50
    assert (y_new == 1).all()
    assert new["amount"].isna().any() and new["amount"].notna().any()
    assert set(new["plan"]) <= {"a", "b"}  # SMOTENC copies categories from class-1 neighbours
    pd.testing.assert_frame_equal(frame, before)  # the caller's frame is left alone


def test_realism_table_on_edge_data():
    from ganaug.evaluation import realism_table

    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(119, dtype=int), 1]  # class 1 has a single row
    frame = pd.DataFrame(
        {
            "constant": 1.0,
            "all_nan": np.nan,
            "per_class": y * 10.0,
            "x": rng.normal(size=len(y)),
            "plan": rng.choice(["a", "b"], len(y)),
        }
    )
    report = realism_table(
        frame,
        y,
        frame.copy(),
        y,
        np.array(["big", "one"]),
        categorical=["plan"],
        train=frame,
        y_train=y,
    )
    assert list(report.index) == ["big", "one"]
    assert report.loc["big"].between(0, 1).all()
    assert np.isnan(report.loc["one", "detection_auc"])  # one held-out row cannot be scored
