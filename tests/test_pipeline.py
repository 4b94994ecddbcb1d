"""GANAugmenter inside scikit-learn's tooling: pipelines, search, clone, pickle."""

import pickle
from collections import Counter

import numpy as np
import pytest
from imblearn.pipeline import Pipeline
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.preprocessing import StandardScaler

from ganaug import GANAugmenter


class CountingClassifier(DummyClassifier):
    """A classifier that remembers the class counts it was trained on."""

    def fit(self, X, y, sample_weight=None):
        self.seen_counts_ = dict(Counter(np.asarray(y).tolist()))
        self.seen_rows_ = len(X)
        return super().fit(X, y, sample_weight)


def _data(n: int = 90) -> tuple[np.ndarray, np.ndarray]:
    return make_classification(
        n_samples=n, n_features=4, n_informative=2, weights=[0.75, 0.25], random_state=0
    )


def _augmenter(**params) -> GANAugmenter:
    defaults = dict(max_steps=1, hidden_units=(16,), latent_dim=8, random_state=0)
    return GANAugmenter(**{**defaults, **params})


def test_pipeline_balances_what_the_classifier_sees():
    X, y = _data()
    pipe = Pipeline(
        [("scale", StandardScaler()), ("aug", _augmenter()), ("clf", CountingClassifier())]
    )
    pipe.fit(X, y)
    majority = max(Counter(y.tolist()).values())
    assert pipe.named_steps["clf"].seen_counts_ == {0: majority, 1: majority}
    # prediction does not resample: one prediction per input row
    assert pipe.predict(X).shape == (len(X),)


def _balance_seen_by_classifier(pipe, X, y) -> float:
    """A scorer: the smallest over the largest class count the classifier trained on."""
    counts = pipe.named_steps["clf"].seen_counts_.values()
    return min(counts) / max(counts)


def test_cross_val_score_runs_the_sampler_in_each_fold():
    X, y = _data()
    pipe = Pipeline([("aug", _augmenter()), ("clf", CountingClassifier())])
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    scores = cross_val_score(pipe, X, y, cv=cv, scoring=_balance_seen_by_classifier)
    # without the sampler each fold's training part would be about 1:3
    np.testing.assert_array_equal(scores, [1.0, 1.0, 1.0])
    accuracy = cross_val_score(pipe, X, y, cv=cv, scoring="balanced_accuracy", error_score="raise")
    assert accuracy.shape == (3,) and np.isfinite(accuracy).all()


def test_grid_search_over_an_augmenter_parameter():
    X, y = _data()
    pipe = Pipeline([("aug", _augmenter()), ("clf", CountingClassifier())])
    grid = GridSearchCV(
        pipe,
        {"aug__sampling_strategy": [0.5, 1.0], "aug__max_steps": [1, 2]},
        cv=StratifiedKFold(n_splits=2, shuffle=True, random_state=0),
        error_score="raise",
    )
    grid.fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    best = grid.best_estimator_
    strategy = grid.best_params_["aug__sampling_strategy"]
    counts = Counter(y.tolist())
    assert best.named_steps["clf"].seen_counts_ == {0: counts[0], 1: int(strategy * counts[0])}
    assert best.named_steps["aug"].n_steps_ == grid.best_params_["aug__max_steps"]


def test_clone_copies_parameters_and_drops_the_fit():
    X, y = _data(60)
    aug = _augmenter(sampling_strategy={1: 50}, hidden_units=(8, 8), n_jobs=1).fit(X, y)
    copy = clone(aug)
    assert copy is not aug
    assert copy.get_params() == aug.get_params()
    assert not hasattr(copy, "model_")
    with pytest.raises(NotFittedError):
        copy.sample(3, y=1)


def test_get_params_and_set_params():
    aug = GANAugmenter()
    params = aug.get_params()
    assert params["max_steps"] == "auto" and params["sampling_strategy"] == "auto"
    assert aug.set_params(max_steps=3, sampling_strategy="minority") is aug
    assert aug.get_params()["max_steps"] == 3
    assert aug.max_steps == 3 and aug.sampling_strategy == "minority"
    with pytest.raises(ValueError, match="Invalid parameter"):
        aug.set_params(not_a_parameter=1)
    pipe = Pipeline([("aug", GANAugmenter()), ("clf", DummyClassifier())])
    pipe.set_params(aug__loss="hinge")
    assert pipe.named_steps["aug"].loss == "hinge"


def test_pickle_round_trip_samples_the_same():
    X, y = _data(60)
    aug = _augmenter().fit(X, y)
    restored = pickle.loads(pickle.dumps(aug))
    X_a, y_a = aug.sample(7, y=1, random_state=11)
    X_b, y_b = restored.sample(7, y=1, random_state=11)
    np.testing.assert_array_equal(X_a, X_b)
    np.testing.assert_array_equal(y_a, y_b)
    # the default sampling sequence carries on from the same place
    np.testing.assert_array_equal(aug.sample(5)[0], restored.sample(5)[0])
    assert restored.get_params() == aug.get_params()
    assert restored.history_ == aug.history_


def test_no_transform_method():
    aug = GANAugmenter()
    # imbalanced-learn's Pipeline rejects a step with both transform and fit_resample
    assert not hasattr(aug, "transform")
    assert not hasattr(aug, "fit_transform")
    assert hasattr(aug, "fit_resample")
