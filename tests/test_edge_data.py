"""Unusual but valid data that must work: tiny classes, odd labels, odd columns.

Every fit here runs one or two steps with tiny networks; what is checked is that
the output has exactly the requested counts, the originals unchanged and first,
the caller's label type, and (through ``conftest.py``) synthetic values inside the
domain the encoder learned.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from ganaug import GANAugmenter

FAST = dict(max_steps=1, hidden_units=(16,), latent_dim=8, n_critic=1, random_state=0)


def _base(n=60, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(size=n), "k": rng.integers(0, 5, size=n)})


def _balanced(X, y, X_res, y_res):
    """Originals first and unchanged; every class at the majority's count."""
    counts = Counter(np.asarray(y_res).tolist())
    assert set(counts.values()) == {max(Counter(np.asarray(y).tolist()).values())}
    if isinstance(X, pd.DataFrame):
        pd.testing.assert_frame_equal(X_res.iloc[: len(X)], X)
    else:
        np.testing.assert_array_equal(X_res[: len(X)], X)
    np.testing.assert_array_equal(np.asarray(y_res)[: len(y)], np.asarray(y))


# -- tiny classes ---------------------------------------------------------------------


@pytest.mark.parametrize("n_tiny", [1, 2])
def test_class_with_one_or_two_rows_warns_and_is_balanced(n_tiny):
    X = _base()
    y = np.array([0] * 50 + [1] * (10 - n_tiny) + [2] * n_tiny)
    aug = GANAugmenter(**FAST)
    with pytest.warns(UserWarning, match=r"Classes \[2\] have fewer than 3 rows"):
        X_res, y_res = aug.fit_resample(X, y)
    _balanced(X, y, X_res, y_res)
    # the documented fallback: no quantile matching for the tiny class
    matcher = aug.model_.matcher
    assert matcher is not None
    assert np.isnan(matcher.real_[2]).all() and not np.isnan(matcher.real_[0]).any()


@pytest.mark.parametrize("method", ["fit", "fit_resample"])
def test_tiny_class_warning_points_at_the_callers_line(method):
    X = _base()
    y = np.array([0] * 50 + [1] * 9 + [2])
    with pytest.warns(UserWarning, match="fewer than 3 rows") as record:
        getattr(GANAugmenter(**FAST), method)(X, y)
    assert [w.filename for w in record if "fewer than" in str(w.message)] == [__file__]


def test_fifty_classes():
    X = _base(n=600)
    y = np.repeat(np.arange(50), np.linspace(3, 22, 50).astype(int))[:600]
    X = X.iloc[: len(y)]
    X_res, y_res = GANAugmenter(**FAST).fit_resample(X, y)
    _balanced(X, y, X_res, y_res)
    assert len(np.unique(y_res)) == 50


# -- labels of every kind -------------------------------------------------------------


@pytest.mark.parametrize(
    "y",
    [
        np.array(["cat"] * 45 + ["dog"] * 15),
        np.array(["cat"] * 45 + ["dog"] * 15, dtype=object),
        pd.Series(["cat"] * 45 + ["dog"] * 15),
        np.array([True] * 45 + [False] * 15),
        pd.Series(pd.Categorical(["hi"] * 45 + ["lo"] * 15)),
        np.array([-7] * 45 + [1000] * 15),
        np.array([3] * 30 + [-1] * 20 + [42] * 10),
    ],
    ids=["str", "object", "series-str", "bool", "categorical", "negative", "sparse-ints"],
)
def test_labels_of_any_type_keep_their_type(y):
    X = _base()
    aug = GANAugmenter(**FAST)
    X_res, y_res = aug.fit_resample(X, y)
    _balanced(X, y, X_res, y_res)
    assert type(y_res) is type(y)
    assert y_res.dtype == y.dtype
    minority = Counter(np.asarray(y).tolist()).most_common()[-1][0]
    X_new, y_new = aug.sample(5, y=minority)
    assert len(X_new) == 5 and (np.asarray(y_new) == minority).all()
    assert set(np.asarray(y_new).tolist()) <= set(np.asarray(y).tolist())


# -- columns that are constant, rare, missing, huge or tiny ---------------------------


def test_constant_columns_stay_constant():
    X = _base().assign(const=3.25, word="same", flag=True, cat=pd.Categorical(["only"] * 60))
    y = np.array([0] * 45 + [1] * 15)
    X_res, y_res = GANAugmenter(**FAST).fit_resample(X, y)
    _balanced(X, y, X_res, y_res)
    new = X_res.iloc[len(X) :]
    assert (new["const"] == 3.25).all() and (new["word"] == "same").all()
    assert new["flag"].all() and (new["cat"] == "only").all()
    assert X_res.dtypes.equals(X.dtypes)


def test_a_category_seen_once_is_a_category_like_the_others():
    X = _base().assign(colour=["red"] * 40 + ["blue"] * 19 + ["violet"])
    y = np.array([0] * 45 + [1] * 15)
    aug = GANAugmenter(**FAST)
    X_res, y_res = aug.fit_resample(X, y)
    _balanced(X, y, X_res, y_res)
    (info,) = [c for c in aug.model_.encoder.columns_ if c.name == "colour"]
    assert info.categories == ["blue", "red", "violet"]
    assert set(X_res["colour"]) <= {"red", "blue", "violet"}


def test_columns_all_nan_or_all_nan_but_one():
    X = _base().assign(
        almost=[np.nan] * 59 + [7.0],
        nothing=np.nan,
        text=pd.Series([None] * 59 + ["z"], dtype=object),
    )
    y = np.array([0] * 45 + [1] * 15)
    X_res, y_res = GANAugmenter(**FAST).fit_resample(X, y)
    _balanced(X, y, X_res, y_res)
    new = X_res.iloc[len(X) :]
    assert new["nothing"].isna().all()
    assert set(new["almost"].dropna()) <= {7.0}
    assert set(new["text"].dropna()) <= {"z"}


def test_huge_and_tiny_magnitudes_keep_their_scale():
    rng = np.random.default_rng(0)
    n = 200
    X = pd.DataFrame(
        {
            "huge": rng.normal(size=n) * 1e12,
            "tiny": rng.normal(size=n) * 1e-12,
            "offset": 1e12 + rng.normal(size=n),
        }
    )
    y = np.array([0] * 150 + [1] * 50)
    # without moment matching, to see the encoder alone: its mixtures must find
    # modes at 1e-12 too, not one mode of width 1e-3 whose samples all pile up
    # at the clipping bounds
    aug = GANAugmenter(moment_matching=False, **FAST).fit(X, y)
    X_new, _ = aug.sample(400, y=1)
    for col in X:
        at_bounds = np.isin(X_new[col], [X[col].min(), X[col].max()]).mean()
        assert at_bounds < 0.3, col
        assert 0.1 < X_new[col].std() / X[col].std() < 10, col
    X_res, y_res = GANAugmenter(**FAST).fit_resample(X, y)
    _balanced(X, y, X_res, y_res)


def test_nullable_and_string_dtypes_round_trip():
    X = _base().assign(
        n=pd.array([1, None] * 30, dtype="Int64"),
        f=pd.array([1.5, None, 2.5] * 20, dtype="Float64"),
        b=pd.array([True, None, False] * 20, dtype="boolean"),
        s=pd.Series(["a", None, "b"] * 20, dtype="string"),
    )
    y = np.array([0] * 45 + [1] * 15)
    X_res, y_res = GANAugmenter(**FAST).fit_resample(X, y)
    _balanced(X, y, X_res, y_res)
    assert X_res.dtypes.equals(X.dtypes)


# -- the index of a DataFrame ---------------------------------------------------------


@pytest.mark.parametrize(
    "index",
    [
        pd.Index([f"row{i}" for i in range(60)]),
        pd.Index(np.arange(60) * 10 + 7),
        pd.Index(np.arange(60)[::-1]),
        pd.date_range("2020-01-01", periods=60, freq="D"),
    ],
    ids=["strings", "gapped-ints", "reversed-ints", "dates"],
)
def test_a_non_default_index_is_kept_for_originals_and_fresh_for_synthetic_rows(index):
    X = _base().set_axis(index)
    y = pd.Series([0] * 45 + [1] * 15, index=index)
    X_res, y_res = GANAugmenter(**FAST).fit_resample(X, y)
    assert X_res.index[: len(X)].equals(X.index)
    new = X_res.index[len(X) :]
    assert len(new) == 30 and new.is_unique
    assert not new.isin(X.index).any()


# -- images -------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(20, 16, 1), (20, 1, 16), (20, 16, 1, 3)])
def test_one_pixel_wide_images_are_refused_with_a_clear_error(shape):
    X = np.zeros(shape, dtype=np.uint8)
    y = np.array([0] * 15 + [1] * 5)
    with pytest.raises(ValueError, match="1 pixels.*image_layout"):
        GANAugmenter(**FAST).fit(X, y)


def test_each_class_gets_its_own_rate_of_missing_values():
    """Missingness that depends on the class survives, in numbers and categories."""
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(150, int), np.ones(50, int)]
    x = rng.normal(size=200)
    x[(y == 1) & (rng.random(200) < 0.45)] = np.nan
    color = pd.Series(rng.choice(["red", "blue"], 200), dtype=object)
    color[(y == 0) & (rng.random(200) < 0.3)] = np.nan
    X = pd.DataFrame({"x": x, "color": color, "z": rng.normal(size=200)})
    # two training steps: the generator has not learned the rates, the shift sets them
    aug = GANAugmenter(**{**FAST, "max_steps": 2}).fit(X, y)
    synthetic, labels = aug.sample({0: 2000, 1: 2000}, random_state=0)
    for column in ("x", "color"):
        for k in (0, 1):
            real = X[column][y == k].isna().mean()
            fake = synthetic[column][labels == k].isna().mean()
            if real == 0:
                assert fake == 0, (column, k)
            else:
                assert abs(fake - real) < 0.06, (column, k, fake, real)
    # moment_matching=False samples what the generator learned: the rates are mixed
    # (without the realism filter, which would pick rows with the real rates too)
    plain = GANAugmenter(
        **{**FAST, "max_steps": 2, "moment_matching": False, "realism_filter": False}
    ).fit(X, y)
    synthetic, labels = plain.sample({0: 2000, 1: 2000}, random_state=0)
    assert synthetic["x"][labels == 0].isna().mean() > 0.1
