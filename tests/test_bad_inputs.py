"""Bad input fails fast: a ValueError or TypeError naming the problem, before any training.

Every case runs with the model's ``build`` and the trainer's ``train`` replaced by
functions that fail the test, which proves that the error comes first; and every
case checks that the caller's data is exactly as it was.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.exceptions import NotFittedError

from ganaug import GANAugmenter
from ganaug.models.tabular import TabularGAN
from ganaug.training.trainer import GANTrainer

RNG = np.random.default_rng(0)
X_NUM = RNG.normal(size=(40, 3))
Y_BIN = np.repeat([0, 1], [30, 10])
Y_MULTI = np.repeat([0, 1, 2], [20, 12, 8])


def _frame(**extra) -> pd.DataFrame:
    frame = pd.DataFrame(X_NUM, columns=["a", "b", "c"])
    for name, values in extra.items():
        frame[name] = values
    return frame


def _with(values: np.ndarray, row: int, col: int, value: Any) -> np.ndarray:
    out = values.copy()
    out[row, col] = value
    return out


@dataclass
class Case:
    X: Any
    y: Any
    error: type[Exception]
    match: str
    params: dict = field(default_factory=dict)


CASES = {
    # labels
    "nan-label": Case(
        X_NUM, np.where(np.arange(40) == 3, np.nan, Y_BIN), ValueError, "missing labels"
    ),
    "none-label": Case(
        X_NUM,
        np.array([None] + ["a"] * 29 + ["b"] * 10, dtype=object),
        ValueError,
        "missing labels",
    ),
    "no-y": Case(X_NUM, None, ValueError, "requires y to be passed"),
    "single-class": Case(X_NUM, np.zeros(40, dtype=int), ValueError, "more than 1 class"),
    "mismatched-lengths": Case(X_NUM, Y_BIN[:-1], ValueError, "40 rows, y has 39"),
    "continuous-y": Case(X_NUM, RNG.normal(size=40), ValueError, "Unknown label type: continuous"),
    "multioutput-y": Case(
        X_NUM,
        np.c_[Y_MULTI, Y_MULTI[::-1]],
        ValueError,
        r"y must be 1-D \(one label per row\), got shape \(40, 2\)",
    ),
    "mixed-str-int-labels": Case(
        X_NUM, np.array(["a"] * 30 + [1] * 10, dtype=object), TypeError, "mixes strings"
    ),
    # values
    "inf": Case(_with(X_NUM, 5, 1, np.inf), Y_BIN, ValueError, "Column 1 of X contains inf"),
    "minus-inf": Case(_with(X_NUM, 7, 0, -np.inf), Y_BIN, ValueError, "Column 0 of X contains inf"),
    "inf-in-frame": Case(
        _frame(d=np.where(np.arange(40) == 2, -np.inf, 1.0)),
        Y_BIN,
        ValueError,
        "'d' of X contains inf",
    ),
    # shapes and containers
    "zero-rows": Case(np.zeros((0, 3)), np.zeros(0), ValueError, "0 sample"),
    "zero-columns": Case(np.zeros((40, 0)), Y_BIN, ValueError, "0 feature"),
    "zero-columns-frame": Case(pd.DataFrame(index=range(40)), Y_BIN, ValueError, "0 feature"),
    "3d-with-tabular": Case(
        RNG.normal(size=(40, 4, 4)), Y_BIN, ValueError, "needs a 2-D table", {"model": "tabular"}
    ),
    "1d-X": Case(X_NUM[:, 0], Y_BIN, ValueError, "2-D"),
    "series-X": Case(pd.Series(X_NUM[:, 0]), Y_BIN, ValueError, "pandas Series"),
    "ragged-rows": Case(
        [[1.0, 2.0]] * 20 + [[1.0]] * 20, Y_BIN, ValueError, "rows must be equally long"
    ),
    "scipy-sparse": Case(sparse.csr_matrix(X_NUM), Y_BIN, TypeError, "sparse matrix"),
    "sparse-frame": Case(
        _frame().astype(pd.SparseDtype(float, 0.0)), Y_BIN, TypeError, "sparse columns"
    ),
    "duplicate-columns": Case(
        pd.DataFrame(X_NUM, columns=["a", "b", "a"]), Y_BIN, ValueError, "duplicate column names"
    ),
    # column types
    "strings-without-categorical": Case(
        np.array([["x", "1.5"], ["y", "2.5"]] * 20, dtype=object),
        Y_BIN,
        TypeError,
        "categorical_features",
    ),
    "datetime-column": Case(
        _frame(when=pd.date_range("2024-01-01", periods=40)),
        Y_BIN,
        TypeError,
        "'when' holds datetimes",
    ),
    "datetime-ndarray": Case(
        np.arange("2024-01-01", "2024-02-10", dtype="datetime64[D]").reshape(20, 2),
        Y_BIN[::2],
        TypeError,
        "datetimes",
    ),
    "timedelta-column": Case(
        _frame(took=pd.to_timedelta(np.arange(40), unit="s")), Y_BIN, TypeError, "timedeltas"
    ),
    "complex-column": Case(
        _frame(z=X_NUM[:, 0] + 1j), Y_BIN, ValueError, "Complex data not supported: column 'z'"
    ),
    "complex-ndarray": Case(X_NUM + 1j, Y_BIN, ValueError, "Complex data not supported"),
    "mixed-object-column": Case(
        _frame(mix=pd.Series(["s", 1] * 20, dtype=object)),
        Y_BIN,
        TypeError,
        "'mix' has dtype object",
    ),
    # categorical_features
    "categorical-index-out-of-range": Case(
        X_NUM, Y_BIN, ValueError, "names 7, which is neither", {"categorical_features": [7]}
    ),
    "categorical-unknown-name": Case(
        _frame(), Y_BIN, ValueError, "names 'zz'", {"categorical_features": ["zz"]}
    ),
    "categorical-mask-length": Case(
        X_NUM,
        Y_BIN,
        ValueError,
        "mask of length 2, but X has 3",
        {"categorical_features": [True, False]},
    ),
    "categorical-2d": Case(
        X_NUM, Y_BIN, ValueError, "1-D list", {"categorical_features": [[0, 1]]}
    ),
    # sampling_strategy (imbalanced-learn's own validation and messages)
    "strategy-unknown-class": Case(
        X_NUM,
        Y_BIN,
        ValueError,
        r"\{5\} target class is/are not present",
        {"sampling_strategy": {5: 40}},
    ),
    "strategy-count-below-class-size": Case(
        X_NUM,
        Y_BIN,
        ValueError,
        "there is 30 samples and 20 samples are asked",
        {"sampling_strategy": {0: 20}},
    ),
    "strategy-float-multiclass": Case(
        X_NUM,
        Y_MULTI,
        ValueError,
        "can be a float only when the type of target is binary",
        {"sampling_strategy": 0.8},
    ),
    "strategy-unknown-string": Case(
        X_NUM, Y_BIN, ValueError, "sampling_strategy", {"sampling_strategy": "most"}
    ),
    # parameters
    "max-steps-zero": Case(X_NUM, Y_BIN, ValueError, "'max_steps' parameter", {"max_steps": 0}),
    "loss-unknown": Case(X_NUM, Y_BIN, ValueError, "'loss' parameter", {"loss": "foo"}),
    "learning-rate-negative": Case(
        X_NUM, Y_BIN, ValueError, "'learning_rate' parameter", {"learning_rate": -1}
    ),
    "hidden-units-empty": Case(X_NUM, Y_BIN, ValueError, "hidden_units", {"hidden_units": ()}),
    "hidden-units-negative": Case(
        X_NUM, Y_BIN, ValueError, "hidden_units", {"hidden_units": (8, -2)}
    ),
    "device-nonsense": Case(X_NUM, Y_BIN, ValueError, "device='nonsense'", {"device": "nonsense"}),
    "batch-size-zero": Case(X_NUM, Y_BIN, ValueError, "'batch_size' parameter", {"batch_size": 0}),
    "n-critic-zero": Case(X_NUM, Y_BIN, ValueError, "'n_critic' parameter", {"n_critic": 0}),
    "aux-weight-negative": Case(
        X_NUM, Y_BIN, ValueError, "'aux_weight' parameter", {"aux_weight": -0.5}
    ),
    "aux-weight-unknown-string": Case(
        X_NUM, Y_BIN, ValueError, "'aux_weight' parameter", {"aux_weight": "high"}
    ),
    "model-unknown": Case(X_NUM, Y_BIN, ValueError, "'model' parameter", {"model": "graph"}),
}


@pytest.fixture
def no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a model is built or trained."""

    def fail(*args, **kwargs):
        pytest.fail("training started before the bad input was reported")

    monkeypatch.setattr(TabularGAN, "build", fail)
    monkeypatch.setattr(GANTrainer, "train", fail)


def _assert_unchanged(before: Any, after: Any) -> None:
    if isinstance(before, pd.DataFrame):
        pd.testing.assert_frame_equal(after, before)
    elif isinstance(before, pd.Series):
        pd.testing.assert_series_equal(after, before)
    elif sparse.issparse(before):
        assert (after != before).nnz == 0
    elif isinstance(before, np.ndarray):
        np.testing.assert_array_equal(after, before)
    else:
        assert after == before


@pytest.mark.parametrize("method", ["fit_resample", "fit"])
@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_reported_before_training(name: str, method: str, no_training) -> None:
    case = CASES[name]
    X, y = case.X, case.y
    X_before, y_before = copy.deepcopy(X), copy.deepcopy(y)
    aug = GANAugmenter(**{"max_steps": 1, "random_state": 0, **case.params})
    with pytest.raises(case.error, match=case.match):
        getattr(aug, method)(X, y)
    _assert_unchanged(X_before, X)
    _assert_unchanged(y_before, y)
    assert not hasattr(aug, "model_")


def test_there_are_at_least_twenty_distinct_cases():
    assert len(CASES) >= 20
    assert len({case.match for case in CASES.values()}) >= 20


@pytest.fixture(scope="module")
def fitted() -> GANAugmenter:
    return GANAugmenter(max_steps=1, hidden_units=(8,), latent_dim=4, random_state=0).fit(
        X_NUM, np.array(["no", "yes"])[Y_BIN]
    )


SAMPLE_CASES: dict[str, tuple[Callable[[GANAugmenter], Any], type[Exception], str]] = {
    "negative-count": (lambda a: a.sample({"yes": -3}), ValueError, "'yes' is negative"),
    "negative-n": (lambda a: a.sample(-4), ValueError, "n_samples is negative"),
    "negative-n-with-y": (lambda a: a.sample(-4, y="no"), ValueError, "negative"),
    "unknown-class": (lambda a: a.sample(3, y="maybe"), ValueError, "'maybe' was not seen"),
    "unknown-class-dict": (lambda a: a.sample({"perhaps": 2}), ValueError, "not seen during fit"),
    "float-count": (lambda a: a.sample(2.5, y="yes"), TypeError, "must be an int"),
    "float-count-dict": (lambda a: a.sample({"yes": 2.0}), TypeError, "must be an int"),
    "string-count": (lambda a: a.sample("10"), TypeError, "must be an int"),
    "dict-and-y": (lambda a: a.sample({"yes": 2}, y="yes"), TypeError, "not both"),
    "bad-random-state": (lambda a: a.sample(2, random_state="x"), TypeError, "random_state"),
}


@pytest.mark.parametrize("name", list(SAMPLE_CASES))
def test_bad_sample_request(name: str, fitted: GANAugmenter, monkeypatch) -> None:
    call, error, match = SAMPLE_CASES[name]
    calls_before = fitted._sample_calls

    def fail(*args, **kwargs):
        pytest.fail("samples were generated for a bad request")

    monkeypatch.setattr(TabularGAN, "generate", fail)
    with pytest.raises(error, match=match):
        call(fitted)
    # a refused request does not move the sampling sequence on
    assert fitted._sample_calls == calls_before


def test_sample_before_fit_is_not_fitted_error():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        GANAugmenter().sample(5)
