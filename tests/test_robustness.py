"""Training that goes wrong: non-finite losses, collapse, Ctrl-C, warm starts.

Each test plants one failure (a NaN loss, a collapsed or NaN generator, a
KeyboardInterrupt) through a monkeypatch or a callback and checks that ganaug
recovers from it, says so, and keeps a usable estimator. Every synthetic value
drawn here also passes the domain check of ``conftest.py``.
"""

from __future__ import annotations

import decimal
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import NotFittedError

import ganaug.training.trainer as training
from ganaug import GANAugmenter
from ganaug.training.guard import class_spread
from ganaug.training.trainer import Callback, TrainingDivergedError

# Tiny networks and one critic step: these tests are about control flow.
FAST = dict(hidden_units=(16,), latent_dim=8, n_critic=1, random_state=0)


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=60),
            "k": rng.integers(0, 4, size=60),
            "c": pd.Categorical(rng.choice(["a", "b"], size=60)),
        }
    )
    y = np.array([0] * 45 + [1] * 15)
    return X, y


def _nan_on_calls(original, calls):
    """A loss function that returns NaN on the given (1-based) calls."""
    seen = {"n": 0}

    def loss(kind, *scores):
        seen["n"] += 1
        out = original(kind, *scores)
        return out * float("nan") if seen["n"] in calls else out

    return loss


def _recovery_warnings(record):
    return [str(w.message) for w in record if issubclass(w.category, RuntimeWarning)]


# -- non-finite losses and gradients --------------------------------------------------


@pytest.mark.parametrize("where", ["generator_loss", "critic_loss"])
def test_planted_nan_loss_is_skipped_restored_and_warned(monkeypatch, table, where):
    X, y = table
    monkeypatch.setattr(training, where, _nan_on_calls(getattr(training, where), {3, 4}))
    aug = GANAugmenter(max_steps=5, **FAST)
    with pytest.warns(RuntimeWarning, match="Non-finite losses or gradients") as record:
        X_res, y_res = aug.fit_resample(X, y)
    assert len(_recovery_warnings(record)) == 2
    trainer = aug.model_.trainer
    assert trainer.recoveries == 2
    assert trainer.learning_rate == pytest.approx(aug.learning_rate / 4)
    # the failed steps were skipped, not counted, and nothing non-finite got in
    assert aug.n_steps_ == 5 and len(aug.history_) == 5
    assert all(np.isfinite(v) for row in aug.history_ for v in row.values())
    for net in (trainer.generator, trainer.critic, trainer.ema):
        assert all(torch.isfinite(p).all() for p in net.parameters())
    assert np.isfinite(X_res["x"].to_numpy()).all()
    assert (pd.Series(y_res).value_counts() == 45).all()


def test_non_finite_gradient_with_finite_loss_is_caught(monkeypatch, table):
    X, y = table
    original = training.generator_loss
    seen = {"n": 0}

    def loss(kind, fake):
        seen["n"] += 1
        out = original(kind, fake)
        if seen["n"] == 2:
            # sqrt at 0: the value is 0, its gradient is inf * 0 = NaN
            out = out + torch.sqrt((fake - fake.detach()).abs().sum())
        return out

    monkeypatch.setattr(training, "generator_loss", loss)
    aug = GANAugmenter(max_steps=3, **FAST)
    with pytest.warns(RuntimeWarning, match="Non-finite"):
        aug.fit(X, y)
    assert aug.model_.trainer.recoveries == 1
    assert all(torch.isfinite(p).all() for p in aug.model_.trainer.generator.parameters())


def test_persistent_nan_raises_and_leaves_a_fresh_estimator_unfitted(monkeypatch, table):
    X, y = table
    X_before = X.copy()
    original = training.critic_loss
    monkeypatch.setattr(training, "critic_loss", lambda k, r, f: original(k, r, f) * float("nan"))
    aug = GANAugmenter(max_steps=3, **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(TrainingDivergedError, match="learning_rate"):
            aug.fit(X, y)
    with pytest.raises(NotFittedError):
        aug.sample(3)
    pd.testing.assert_frame_equal(X, X_before)


def test_divergence_during_warm_start_keeps_the_previous_model(monkeypatch, table):
    X, y = table
    aug = GANAugmenter(max_steps=2, warm_start=True, **FAST).fit(X, y)
    original = training.generator_loss
    monkeypatch.setattr(training, "generator_loss", lambda k, f: original(k, f) * float("nan"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(TrainingDivergedError):
            aug.fit(X, y)
    X_new, y_new = aug.sample({1: 20})
    assert len(X_new) == 20 and np.isfinite(X_new["x"].to_numpy()).all()


# -- the health check: collapse and a non-finite moving average -----------------------


class _Sabotage(Callback):
    """Checks health every 2 steps and breaks the generator after step 3."""

    def __init__(self, how):
        self.how = how

    def on_train_begin(self, trainer):
        trainer.config.health_every = 2

    def on_step_end(self, trainer, metrics):
        if trainer.steps_done != 3:
            return
        nets = (trainer.ema,) if self.how == "nan-ema" else (trainer.generator, trainer.ema)
        with torch.no_grad():
            for net in nets:
                if self.how == "collapse":
                    # constant output, each softmax block with one clear winner (no
                    # room for Gumbel noise): every sample of a class alike
                    net.head.weight.zero_()
                    net.head.bias.copy_(-10.0 * torch.arange(len(net.head.bias)))
                else:
                    net.head.weight.fill_(float("nan"))


@pytest.mark.parametrize(
    "how, message",
    [
        ("collapse", "collapsed generator"),
        # the moving average alone: only the health check can see it
        ("nan-ema", "Non-finite samples"),
        # both: the next loss is NaN, and the moving average cannot be restored from
        ("nan-both", "Non-finite losses"),
    ],
)
def test_broken_generator_is_detected_and_restored(table, how, message):
    X, y = table
    aug = GANAugmenter(max_steps=6, callbacks=[_Sabotage(how)], **FAST)
    with pytest.warns(RuntimeWarning, match=message):
        X_res, _ = aug.fit_resample(X, y)
    trainer = aug.model_.trainer
    assert trainer.recoveries == 1
    assert trainer.learning_rate == pytest.approx(aug.learning_rate / 2)
    assert trainer.check_health() is None
    X_new, _ = aug.sample({1: 200})
    # restored: samples of a class differ again (a collapsed head gives one value)
    assert X_new["x"].nunique() > 5


def test_health_check_is_silent_on_healthy_training(table):
    X, y = table

    class Often(Callback):
        def on_train_begin(self, trainer):
            trainer.config.health_every = 3

    aug = GANAugmenter(max_steps=30, callbacks=[Often()], **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        aug.fit(X, y)
    trainer = aug.model_.trainer
    assert trainer.recoveries == 0
    assert trainer.guard.real_spread is not None  # the check did run


def test_class_spread_matches_numpy():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 3)) * np.array([1.0, 2.0, 3.0])
    y = np.repeat([0, 1, 2, 3], [10, 29, 1, 0])
    spread, counts = class_spread(torch.tensor(x), torch.tensor(y), 4)
    for k in (0, 1):
        assert spread[k].item() == pytest.approx(x[y == k].std(axis=0, ddof=1).mean())
    assert counts.tolist() == [10, 29, 1, 0]
    assert np.isnan(spread[2].item()) and np.isnan(spread[3].item())


# -- Ctrl-C and warm starts -----------------------------------------------------------


class _CtrlC(Callback):
    def __init__(self, at_step):
        self.at_step = at_step

    def on_step_end(self, trainer, metrics):
        if trainer.steps_done == self.at_step:
            raise KeyboardInterrupt


def test_ctrl_c_keeps_a_usable_estimator_and_warm_start_continues(table):
    X, y = table
    aug = GANAugmenter(max_steps=10, callbacks=[_CtrlC(3)], **FAST)
    with pytest.warns(UserWarning, match="interrupted after 3 of 10 steps"):
        X_res, y_res = aug.fit_resample(X, y)
    assert aug.n_steps_ == 3 and len(aug.history_) == 3
    assert aug.model_.trainer.interrupted
    assert (pd.Series(y_res).value_counts() == 45).all()
    pd.testing.assert_frame_equal(X_res.iloc[: len(X)], X)
    X_new, y_new = aug.sample(4, y=1)
    assert len(X_new) == 4 and (y_new == 1).all()

    aug.set_params(warm_start=True, callbacks=None, max_steps=4)
    aug.fit(X, y)
    assert aug.n_steps_ == 7
    assert [row["step"] for row in aug.history_] == list(range(1, 8))
    assert not aug.model_.trainer.interrupted


def test_ctrl_c_before_the_first_step_leaves_no_half_fitted_estimator(table):
    X, y = table

    class Early(Callback):
        def on_train_begin(self, trainer):
            raise KeyboardInterrupt

    aug = GANAugmenter(max_steps=3, callbacks=[Early()], **FAST)
    with pytest.raises(KeyboardInterrupt):
        aug.fit(X, y)
    assert not hasattr(aug, "model_") and not hasattr(aug, "classes_")


def test_warm_start_without_a_previous_fit_trains_from_scratch(table):
    X, y = table
    aug = GANAugmenter(max_steps=2, warm_start=True, **FAST).fit(X, y)
    assert aug.n_steps_ == 2
    first_ema = [p.clone() for p in aug.model_.trainer.ema.parameters()]
    aug.fit(X, y)
    assert aug.n_steps_ == 4
    ema = aug.model_.trainer.ema.parameters()
    assert any(not torch.equal(a, b) for a, b in zip(first_ema, ema))


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda X, y: (X.drop(columns="k"), y), "missing \\['k'\\]"),
        (lambda X, y: (X.assign(extra=1.0), y), "unexpected \\['extra'\\]"),
        (lambda X, y: (X[["k", "x", "c"]], y), "another order"),
        (lambda X, y: (X, np.where(y == 1, 2, y)), "classes"),
        (
            lambda X, y: (X.assign(c=X["c"].cat.add_categories("z").where(y == 0, "z")), y),
            "categories not seen.*'c'|'c'.*categories not seen",
        ),
        (lambda X, y: (X.assign(x=X["x"].where(y == 0)), y), "'x' holds NaN"),
        (lambda X, y: (X.assign(k=X["k"].astype(str)), y), "'k' is categorical now"),
    ],
    ids=[
        "fewer-columns",
        "more-columns",
        "reordered",
        "new-class",
        "new-category",
        "new-nan",
        "new-kind",
    ],
)
def test_warm_start_on_incompatible_data_is_refused_before_training(table, change, match):
    X, y = table
    aug = GANAugmenter(max_steps=1, warm_start=True, **FAST).fit(X, y)
    X2, y2 = change(X, y)
    X2_before = X2.copy()
    with pytest.raises(ValueError, match=match):
        aug.fit(X2, y2)
    assert aug.n_steps_ == 1  # no step was taken
    pd.testing.assert_frame_equal(X2, X2_before)
    X_new, _ = aug.sample(3)
    assert list(X_new.columns) == list(X.columns)


# -- bad input: refused before training, the caller's data untouched ------------------
# tests/test_bad_inputs.py covers the common cases (NaN labels, inf, one class,
# lengths, empty, sparse, 3-D, datetimes, complex, mixed object columns, duplicate
# names, categorical_features, sampling_strategy, parameters, sample requests);
# these are the others, none repeated there. The warm-start refusals above add 7.


class _NoTraining(Callback):
    def on_train_begin(self, trainer):
        raise AssertionError("training started on bad input")


def _frame(**extra):
    X = pd.DataFrame({"x": np.linspace(0.0, 1.0, 20), "k": [0, 1] * 10})
    return X.assign(**extra)


Y20 = np.array([0] * 14 + [1] * 6)
_BAD_X = {
    "object-dicts": (lambda: _frame(m=[{"a": 1}] * 20), TypeError, "'m'.*only strings"),
    "object-lists": (lambda: _frame(m=[[1, 2]] * 20), TypeError, "'m'.*only strings"),
    "object-bytes": (lambda: _frame(m=[b"raw"] * 20), TypeError, "'m'.*'bytes'"),
    "object-decimals": (
        lambda: _frame(m=[decimal.Decimal("1.5")] * 20),
        TypeError,
        "'m'.*to_numeric",
    ),
    "tz-aware-datetime-column": (
        lambda: _frame(when=pd.date_range("2020", periods=20, tz="UTC")),
        TypeError,
        "'when'",
    ),
    "period-column": (
        lambda: _frame(p=pd.period_range("2020-01", periods=20, freq="M")),
        TypeError,
        "'p'",
    ),
    "interval-column": (
        lambda: _frame(i=pd.arrays.IntervalArray.from_breaks(np.arange(21))),
        TypeError,
        "'i'.*convert",
    ),
    "string-as-X": (lambda: "data.csv", TypeError, "2-D"),
}


@pytest.mark.parametrize("name", list(_BAD_X))
def test_bad_X_is_refused_before_training(name):
    make, error, match = _BAD_X[name]
    X = make()
    before = X.copy() if isinstance(X, pd.DataFrame) else X
    with pytest.raises(error, match=match):
        GANAugmenter(max_steps=1, callbacks=[_NoTraining()], **FAST).fit_resample(X, Y20)
    if isinstance(X, pd.DataFrame):
        pd.testing.assert_frame_equal(X, before)


_BAD_STRATEGY = {
    # a binary ratio below the current minority/majority ratio would remove rows
    "ratio-removes-samples": (0.2, "ratio"),
    "callable-removes-samples": (lambda y: {0: 14, 1: 3}, "sampl"),
    "dict-with-zero-for-a-present-class": ({1: 0}, "sampl"),
}


@pytest.mark.parametrize("name", list(_BAD_STRATEGY))
def test_a_strategy_that_removes_samples_is_refused(name):
    strategy, match = _BAD_STRATEGY[name]
    X = _frame()
    before = X.copy()
    aug = GANAugmenter(sampling_strategy=strategy, callbacks=[_NoTraining()], **FAST)
    with pytest.raises(ValueError, match=match):
        aug.fit_resample(X, Y20)
    pd.testing.assert_frame_equal(X, before)
    assert not hasattr(aug, "model_")


def test_default_budget_has_a_floor_for_small_tables(monkeypatch, table):
    from ganaug.models import factory, tabular

    # a step costs the same however few rows there are: small tables get 600 too
    assert [tabular.default_tabular_steps(n) for n in (10, 500, 1500)] == [600, 600, 600]
    assert tabular.default_tabular_steps(2000) == 700
    assert [tabular.default_tabular_steps(n) for n in (2500, 100_000)] == [800, 800]
    # max_steps="auto" asks it with the number of training rows
    asked = []
    monkeypatch.setattr(factory, "default_tabular_steps", lambda n: asked.append(n) or 2)
    X, y = table
    aug = GANAugmenter(**FAST).fit(X, y)
    assert asked == [len(X)] and aug.n_steps_ == 2
