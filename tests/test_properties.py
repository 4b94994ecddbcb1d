"""Property-based tests: random tables and images through the encoders and the sampler.

Hypothesis draws DataFrames of random dtypes, sizes and NaN patterns, and image
stacks of random shapes, layouts and dtypes. Encoding then decoding must give
the same values, dtypes and names back, and ``fit_resample`` on any valid input
must return exactly the requested counts with the originals unchanged.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganaug import GANAugmenter
from ganaug.encoders.image import ImageResizer, check_images
from ganaug.encoders.tabular import TabularEncoder
from ganaug.inputs.images import restore_images

FAST = dict(max_steps=1, hidden_units=(8,), latent_dim=4, n_critic=1, random_state=0)
KINDS = ["float", "int", "Int64", "Float64", "bool", "boolean", "category", "str", "object-str"]


@st.composite
def columns(draw, n_rows: int, kind: str) -> pd.Series:
    """One column of ``kind``, possibly with missing values where the dtype allows."""
    if kind in ("float", "Float64"):
        values = draw(
            st.lists(
                st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False),
                min_size=n_rows,
                max_size=n_rows,
            )
        )
    elif kind in ("int", "Int64"):
        values = draw(st.lists(st.integers(-1000, 1000), min_size=n_rows, max_size=n_rows))
    elif kind in ("bool", "boolean"):
        values = draw(st.lists(st.booleans(), min_size=n_rows, max_size=n_rows))
    else:
        words = st.sampled_from(["a", "b", "long word", "é", ""])
        values = draw(st.lists(words, min_size=n_rows, max_size=n_rows))
    nullable = kind not in ("int", "bool")
    missing = (
        draw(st.lists(st.booleans(), min_size=n_rows, max_size=n_rows))
        if nullable
        else [False] * n_rows
    )
    values = [None if m else v for v, m in zip(values, missing)]
    if kind == "float":
        return pd.Series([np.nan if v is None else v for v in values], dtype="float64")
    if kind == "int":
        return pd.Series(values, dtype="int64")
    if kind == "bool":
        return pd.Series(values, dtype=bool)
    if kind == "category":
        return pd.Series(pd.Categorical(values, categories=["a", "b", "long word", "é", "", "x"]))
    if kind == "str":
        return pd.Series(values, dtype="str")
    if kind == "object-str":
        return pd.Series(values, dtype=object)
    return pd.Series(values, dtype=kind)


@st.composite
def frames(draw, min_rows: int = 1, max_rows: int = 30) -> pd.DataFrame:
    n_rows = draw(st.integers(min_rows, max_rows))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=5))
    return pd.DataFrame(
        {f"{kind}_{j}": draw(columns(n_rows, kind)) for j, kind in enumerate(kinds)}
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=frames())
def test_tabular_encoder_round_trips_values_dtypes_and_names(frame):
    before = frame.copy()
    encoder = TabularEncoder(random_state=0).fit(frame)
    encoded = encoder.transform(frame)
    assert encoded.dtype == np.float32 and np.isfinite(encoded).all()
    back = encoder.inverse_transform(encoded)
    pd.testing.assert_frame_equal(frame, before)  # the input is untouched
    assert list(back.columns) == list(frame.columns)
    assert back.dtypes.equals(frame.dtypes)
    for name in frame.columns:
        col, out = frame[name], back[name]
        np.testing.assert_array_equal(col.isna().to_numpy(), out.isna().to_numpy(), err_msg=name)
        present = ~col.isna().to_numpy()
        if pd.api.types.is_float_dtype(col.dtype):
            expected = col.to_numpy(dtype=np.float64, na_value=np.nan)[present]
            got = out.to_numpy(dtype=np.float64, na_value=np.nan)[present]
            # float32 in model space: about 1e-7 of a mode's width
            scale = max(np.ptp(expected), 1.0) if len(expected) else 1.0
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5 * scale, err_msg=name)
        else:
            assert col[present].tolist() == out[present].tolist(), name


@st.composite
def image_stacks(draw):
    n = draw(st.integers(1, 4))
    h, w = draw(st.integers(8, 20)), draw(st.integers(8, 20))
    layout = draw(st.sampled_from(["NHW", "NHWC", "NCHW"]))
    channels = 1 if layout == "NHW" else draw(st.sampled_from([1, 3]))
    shape = {"NHW": (n, h, w), "NHWC": (n, h, w, channels), "NCHW": (n, channels, h, w)}[layout]
    kind = draw(st.sampled_from(["uint8", "int64", "unit", "signed"]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    if kind in ("uint8", "int64"):
        X = rng.integers(0, 256, size=shape).astype(kind)
    else:
        X = rng.random(size=shape).astype(draw(st.sampled_from(["float32", "float64"])))
        if kind == "signed":
            X = X * 2 - 1
    as_torch = draw(st.booleans())
    return (torch.from_numpy(X) if as_torch else X), layout


@settings(max_examples=25, deadline=None)
@given(stack=image_stacks())
def test_image_encoder_round_trips_shape_dtype_container_and_values(stack):
    X, layout = stack
    before = X.clone() if isinstance(X, torch.Tensor) else X.copy()
    x, info = check_images(X, image_layout=layout)
    assert x.dtype == torch.float32 and x.min() >= -1 and x.max() <= 1
    back = restore_images(x, info)
    assert type(back) is type(X) and back.shape == X.shape and back.dtype == X.dtype
    got, want = np.asarray(back, dtype=np.float64), np.asarray(X, dtype=np.float64)
    np.testing.assert_allclose(got, want, atol=0.0 if info.value_range == "byte" else 1e-6)
    # the networks' square side and back: the caller's exact size again, in range
    resizer = ImageResizer(info.height, info.width)
    model_side = resizer.to_model(x)
    assert model_side.shape[-1] == model_side.shape[-2]
    again = resizer.from_model(model_side)
    assert again.shape == x.shape and again.min() >= -1 - 1e-6 and again.max() <= 1 + 1e-6
    np.testing.assert_array_equal(np.asarray(X), np.asarray(before))


@st.composite
def labelled_tables(draw):
    frame = draw(frames(min_rows=6, max_rows=25))
    n = len(frame)
    n_classes = draw(st.integers(2, 3))
    # every class present at least twice, the rest random
    rest = n - 2 * n_classes
    y = list(range(n_classes)) * 2 + draw(
        st.lists(st.integers(0, n_classes - 1), min_size=rest, max_size=rest)
    )
    label_type = draw(st.sampled_from(["int", "str"]))
    y = np.array(y) if label_type == "int" else np.array([f"c{v}" for v in y])
    return frame, y


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=labelled_tables(), strategy=st.sampled_from(["auto", "all", "not minority"]))
def test_fit_resample_returns_exactly_the_requested_counts(data, strategy):
    X, y = data
    X_before, y_before = X.copy(), y.copy()
    aug = GANAugmenter(sampling_strategy=strategy, **FAST)
    X_res, y_res = aug.fit_resample(X, y)
    counts = Counter(y.tolist())
    expected = {c: counts[c] + aug.sampling_strategy_.get(c, 0) for c in counts}
    assert Counter(y_res.tolist()) == expected
    pd.testing.assert_frame_equal(X_res.iloc[: len(X)], X_before)
    np.testing.assert_array_equal(y_res[: len(y)], y_before)
    pd.testing.assert_frame_equal(X, X_before)
    assert X_res.dtypes.equals(X.dtypes) and list(X_res.columns) == list(X.columns)


@pytest.mark.parametrize("seed", [0, 1])
def test_fit_resample_on_random_ndarrays(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(30, 4)) * rng.choice([1e-3, 1.0, 1e4], size=4)
    y = rng.choice([0, 1, 2], size=30, p=[0.6, 0.3, 0.1])
    y[:3] = [0, 1, 2]
    X_res, y_res = GANAugmenter(**FAST).fit_resample(X, y)
    top = max(Counter(y.tolist()).values())
    assert Counter(y_res.tolist()) == {c: top for c in set(y.tolist())}
    np.testing.assert_array_equal(X_res[: len(X)], X)
    assert X_res.dtype == X.dtype and np.isfinite(X_res).all()
