"""Tables keep their shape on the way through: names, order, dtypes, value domains, labels."""

import numpy as np
import pandas as pd
import pytest

from ganaug import GANAugmenter
from ganaug.encoders.tabular import TabularEncoder

N_ROWS = 72


def _every_dtype_frame(n: int = N_ROWS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "f64": rng.normal(size=n),
            "f32": rng.normal(5.0, 2.0, size=n).astype(np.float32),
            "i64": rng.integers(-40, 40, size=n).astype(np.int64),
            "i32": rng.integers(0, 1000, size=n).astype(np.int32),
            "u8": rng.integers(3, 250, size=n).astype(np.uint8),
            "flag": rng.random(n) > 0.4,
            "cat": pd.Categorical(
                rng.choice(["lo", "mid", "hi"], n), categories=["lo", "mid", "hi", "never"]
            ),
            "obj": pd.Series(
                [None if i % 7 == 0 else ("u" if i % 2 else "v") for i in range(n)], dtype=object
            ),
            "text": pd.Series(rng.choice(["s1", "s2", "s3"], n)),  # pandas 3 infers `str`
            "string": pd.Series(rng.choice(["t1", "t2"], n), dtype="string"),
            "Int64": pd.array(
                [None if i % 5 == 0 else int(i) - 10 for i in range(n)], dtype="Int64"
            ),
            "boolean": pd.array(
                [None if i % 6 == 0 else bool(i % 3) for i in range(n)], dtype="boolean"
            ),
            "Float64": pd.array(rng.normal(100.0, 10.0, size=n), dtype="Float64"),
            "constant": np.full(n, 3.5),
            "with_nan": np.where(rng.random(n) < 0.25, np.nan, rng.exponential(size=n)),
        }
    )


def _labels(n: int = N_ROWS) -> pd.Series:
    return pd.Series(np.where(np.arange(n) % 4 == 0, "rare", "common"), name="target")


def _augmenter(**params) -> GANAugmenter:
    defaults = dict(max_steps=2, hidden_units=(16,), latent_dim=8, random_state=0)
    return GANAugmenter(**{**defaults, **params})


def _assert_in_domain(synthetic: pd.DataFrame, real: pd.DataFrame) -> None:
    """Synthetic values that the real columns could have held."""
    assert list(synthetic.columns) == list(real.columns)
    pd.testing.assert_series_equal(synthetic.dtypes, real.dtypes)
    for name in real.columns:
        fake, seen = synthetic[name], real[name]
        if not seen.isna().any():
            assert not fake.isna().any(), f"NaN in {name!r}, which never held NaN"
        fake, seen = fake.dropna(), seen.dropna()
        dtype = seen.dtype
        if isinstance(dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(dtype):
            assert set(fake.tolist()) <= set(seen.tolist()), name
        elif pd.api.types.is_bool_dtype(dtype):
            assert set(fake.tolist()) <= {True, False}, name
        else:
            values = fake.to_numpy(dtype=np.float64)
            assert values.min() >= float(seen.min()) and values.max() <= float(seen.max()), name
            if pd.api.types.is_integer_dtype(dtype):
                assert np.all(values == np.round(values)), name


def test_fit_resample_keeps_every_dtype():
    X, y = _every_dtype_frame(), _labels()
    X_res, y_res = _augmenter().fit_resample(X, y)
    assert isinstance(X_res, pd.DataFrame)
    assert len(X_res) == 2 * (y == "common").sum()
    pd.testing.assert_frame_equal(X_res.iloc[: len(X)], X)
    _assert_in_domain(X_res.iloc[len(X) :], X)
    assert list(X_res["cat"].cat.categories) == ["lo", "mid", "hi", "never"]
    assert (X_res["constant"] == 3.5).all()
    assert isinstance(y_res, pd.Series) and y_res.name == "target"


def test_sample_keeps_every_dtype():
    X, y = _every_dtype_frame(seed=1), _labels()
    aug = _augmenter().fit(X, y)
    X_new, y_new = aug.sample(60)
    assert isinstance(X_new, pd.DataFrame) and len(X_new) == 60
    _assert_in_domain(X_new, X)
    assert "never" not in set(X_new["cat"].tolist())
    assert set(y_new.tolist()) == {"common", "rare"}


def test_encoder_round_trip_is_exact_to_float32():
    rng = np.random.default_rng(3)
    X = _every_dtype_frame(200, seed=2)
    X["heavy_tail"] = rng.lognormal(0.0, 1.5, size=200)
    X["outlier"] = np.r_[rng.normal(size=199), 1e4]
    X["two_modes"] = np.r_[rng.normal(0, 0.01, 100), rng.normal(1000, 50, 100)]
    encoder = TabularEncoder(["i32"]).fit(X)  # i32 modelled as a category as well
    encoded = encoder.transform(X)
    assert encoded.dtype == np.float32 and encoded.shape == (200, encoder.n_encoded_)
    back = encoder.inverse_transform(encoded)
    pd.testing.assert_series_equal(back.dtypes, X.dtypes)
    for name in X.columns:
        before, after = X[name], back[name]
        np.testing.assert_array_equal(after.isna().to_numpy(), before.isna().to_numpy(), name)
        if pd.api.types.is_float_dtype(before.dtype):
            a = before.to_numpy(dtype=np.float64, na_value=np.nan)
            b = after.to_numpy(dtype=np.float64, na_value=np.nan)
            scale = np.nanmax(a) - np.nanmin(a)
            # the encoded scalar is float32: ~1e-7 of a mode's 4-sigma width, at most the range
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6 * scale, err_msg=name)
        else:
            pd.testing.assert_series_equal(after, before, check_names=False)


@pytest.mark.parametrize(
    "y",
    [
        np.array(["cat", "dog"])[(np.arange(60) % 3 == 0).astype(int)],
        np.array(["cat", "dog"], dtype=object)[(np.arange(60) % 3 == 0).astype(int)],
        np.arange(60) % 3 == 0,
        np.where(np.arange(60) % 3 == 0, 7, 2),
        np.where(np.arange(60) % 3 == 0, -5, -1).astype(np.int8),
        pd.Series(np.where(np.arange(60) % 3 == 0, "b", "a"), name="species"),
        pd.Series(pd.Categorical(np.where(np.arange(60) % 3 == 0, "b", "a")), name="kind"),
        pd.Series(np.where(np.arange(60) % 3 == 0, 10, 20), name="code"),
    ],
    ids=["str", "obj-str", "bool", "int", "neg-int8", "series-str", "series-cat", "series-int"],
)
def test_labels_keep_their_type(y):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    aug = _augmenter()
    X_res, y_res = aug.fit_resample(X, y)
    assert type(y_res) is type(y)
    assert y_res.dtype == y.dtype
    if isinstance(y, pd.Series):
        assert y_res.name == y.name
        pd.testing.assert_series_equal(y_res.iloc[: len(y)], y)
    else:
        np.testing.assert_array_equal(y_res[: len(y)], y)
    values = set(np.asarray(y).tolist())
    assert set(np.asarray(y_res).tolist()) == values
    _, y_new = aug.sample(4)
    assert set(y_new.tolist()) == values
    assert {type(v) for v in y_new.tolist()} == {type(v) for v in np.asarray(y).tolist()}


def test_encoder_knows_where_each_missing_logit_is():
    rng = np.random.default_rng(0)
    n = 200
    two_modes = np.r_[rng.normal(-5, 1, n // 2), rng.normal(5, 1, n // 2)]
    frame = pd.DataFrame(
        {
            "bimodal": np.where(rng.random(n) < 0.2, np.nan, two_modes),
            "constant": np.where(rng.random(n) < 0.3, np.nan, 1.0),
            "full": rng.normal(size=n),
            "color": pd.Series(rng.choice(["a", "b", None], n), dtype=object),
        }
    )
    encoder = TabularEncoder().fit(frame)
    encoded = encoder.transform(frame)
    located = encoder.missing_logits()
    assert [name for name, *_ in located] == ["bimodal", "constant", "color"]
    for name, start, stop, missing in located:
        assert start <= missing < stop
        np.testing.assert_array_equal(encoded[:, missing] == 1, frame[name].isna().to_numpy())


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32, np.uint8])
def test_ndarray_keeps_its_dtype(dtype):
    rng = np.random.default_rng(1)
    X = (rng.normal(size=(50, 3)) * 20 + 60).astype(dtype)
    y = np.arange(50) % 5 == 0
    aug = _augmenter()
    X_res, _ = aug.fit_resample(X, y)
    X_new, _ = aug.sample(12)
    for out in (X_res, X_new):
        assert isinstance(out, np.ndarray) and out.dtype == dtype
        assert out.shape[1] == 3
        assert (out.min(axis=0) >= X.min(axis=0)).all() and (out.max(axis=0) <= X.max(axis=0)).all()
    np.testing.assert_array_equal(X_res[:50], X)


def test_object_ndarray_with_categorical_features():
    rng = np.random.default_rng(2)
    X = np.empty((48, 3), dtype=object)
    X[:, 0] = rng.normal(size=48)
    X[:, 1] = rng.choice(["red", "green", "blue"], 48)
    X[:, 2] = rng.integers(0, 4, 48)
    y = np.arange(48) % 4 == 0
    aug = _augmenter(categorical_features=[1, 2])
    X_res, _ = aug.fit_resample(X, y)
    assert X_res.dtype == object and X_res.shape == (72, 3)
    np.testing.assert_array_equal(X_res[:48], X)
    synthetic = X_res[48:]
    assert set(synthetic[:, 1].tolist()) <= {"red", "green", "blue"}
    assert set(synthetic[:, 2].tolist()) <= set(X[:, 2].tolist())
    assert all(isinstance(v, float) for v in synthetic[:, 0])
    # a boolean mask names the same columns
    mask_aug = _augmenter(categorical_features=[False, True, True])
    np.testing.assert_array_equal(mask_aug.fit_resample(X, y)[0], X_res)


@pytest.mark.parametrize(
    ("index", "expected_new"),
    [
        (pd.Index(np.arange(100, 148) * 3), list(range(442, 466))),
        (pd.Index([f"row{i}" for i in range(48)]), [f"synthetic-{i}" for i in range(24)]),
    ],
    ids=["int", "str"],
)
def test_dataframe_index_kept_with_fresh_labels_for_synthetic_rows(index, expected_new):
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.normal(size=48), "b": rng.normal(size=48)}, index=index)
    y = pd.Series(np.arange(48) % 4 == 0, index=index, name="y")
    X_res, y_res = _augmenter().fit_resample(X, y)
    assert X_res.index[:48].equals(index)
    assert X_res.index[48:].tolist() == expected_new
    assert X_res.index.is_unique
    pd.testing.assert_frame_equal(X_res.loc[index], X)
    assert y_res.index.equals(X_res.index)
