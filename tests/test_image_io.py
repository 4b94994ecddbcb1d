"""Image inputs and outputs: every accepted format round-trips; bad input fails clearly."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganaug import GANAugmenter
from ganaug.encoders.image import ImageResizer, check_images
from ganaug.inputs.images import restore_images


def _images(n: int, h: int, w: int, c: int | None, layout: str, kind: str, container: str, seed=0):
    rng = np.random.default_rng(seed)
    shape = {"NHW": (n, h, w), "NHWC": (n, h, w, c), "NCHW": (n, c, h, w)}[layout]
    if kind == "uint8":
        x = rng.integers(0, 256, size=shape, dtype=np.uint8)
    elif kind == "unit":
        x = rng.random(shape).astype(np.float32)
    else:
        x = (rng.random(shape) * 2 - 1).astype(np.float64)
    return torch.from_numpy(x) if container == "torch" else x


def _fit(X, y, **kw):
    return GANAugmenter(max_steps=1, batch_size=8, n_jobs=1, random_state=0, **kw).fit(X, y)


CASES = [
    # (h, w, c, layout, kind, container)
    (8, 8, None, "NHW", "uint8", "numpy"),
    (9, 13, None, "NHW", "unit", "numpy"),
    (30, 30, 3, "NHWC", "uint8", "numpy"),
    (16, 12, 3, "NCHW", "signed", "numpy"),
    (8, 8, 1, "NCHW", "unit", "torch"),
    (9, 13, 3, "NHWC", "signed", "torch"),
    (30, 30, 1, "NHWC", "uint8", "torch"),
]


@pytest.mark.parametrize("h,w,c,layout,kind,container", CASES)
def test_formats_round_trip(h, w, c, layout, kind, container):
    X = _images(12, h, w, c, layout, kind, container)
    y = np.array([0] * 8 + [1] * 4)
    before = X.clone() if container == "torch" else X.copy()
    aug = GANAugmenter(max_steps=1, batch_size=8, n_jobs=1, random_state=0)
    X_res, y_res = aug.fit_resample(X, y)
    assert aug.model_type_ == "image"
    assert type(X_res) is type(X)
    assert X_res.dtype == X.dtype
    assert tuple(X_res.shape) == (16,) + tuple(X.shape[1:])
    assert (X_res[:12] == X).all()  # originals first, unchanged
    assert (X == before).all()  # the caller's data is not mutated
    new = X_res[12:]
    lo, hi = {"uint8": (0, 255), "unit": (0.0, 1.0), "signed": (-1.0, 1.0)}[kind]
    assert float(new.min()) >= lo and float(new.max()) <= hi
    X_new, y_new = aug.sample(5, y=1)
    assert type(X_new) is type(X) and X_new.dtype == X.dtype
    assert tuple(X_new.shape) == (5,) + tuple(X.shape[1:])
    assert list(y_new) == [1] * 5


def test_float_unit_output_uses_the_whole_range():
    # an untrained generator's tanh output spans [-1, 1]: mapped to [0, 1], not clipped
    X = _images(16, 8, 8, None, "NHW", "unit", "numpy")
    aug = _fit(X, np.array([0, 1] * 8))
    X_new, _ = aug.sample(50)
    assert X_new.min() >= 0 and X_new.max() <= 1 and X_new.std() > 0


def test_model_auto_and_forced_image():
    X = _images(10, 8, 8, None, "NHW", "uint8", "numpy")
    y = np.array([0] * 5 + [1] * 5)
    assert _fit(X, y).model_type_ == "image"
    assert _fit(X, y, model="image").model_type_ == "image"
    with pytest.raises(ValueError, match="model='tabular' needs a 2-D table"):
        _fit(X, y, model="tabular")
    with pytest.raises(ValueError, match="model='image' needs images"):
        _fit(X.reshape(10, 64), y, model="image")


def test_ambiguous_layout_needs_image_layout():
    X = np.zeros((10, 3, 16, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="ambiguous.*image_layout"):
        check_images(X)
    # with a layout, the size rule names the too-small side
    with pytest.raises(ValueError, match="width is 3 pixels"):
        check_images(X, "NCHW")


def test_explicit_layout_is_followed():
    X = np.random.default_rng(0).random((6, 16, 16, 3)).astype(np.float32)
    x, info = check_images(X, "NHWC")
    assert info.layout == "NHWC" and tuple(x.shape) == (6, 3, 16, 16)
    with pytest.raises(ValueError, match="needs a 3-D stack"):
        check_images(X, "NHW")


def test_restore_inverts_check():
    X = _images(4, 9, 13, 3, "NHWC", "uint8", "torch")
    x, info = check_images(X)
    assert torch.equal(restore_images(x, info), X)


@pytest.mark.parametrize(
    "shape,match",
    [
        ((10, 8, 1), "width is 1 pixels.*image_layout"),
        ((10, 4, 8), "height is 4 pixels"),
        ((10, 8, 200), "width is 200 pixels"),
        ((10, 8, 8, 5), "no channel axis"),
    ],
)
def test_bad_shapes(shape, match):
    X = np.zeros(shape, dtype=np.uint8)
    with pytest.raises(ValueError, match=match):
        _fit(X, np.array([0, 1] * 5))


def test_nan_pixels_and_bad_ranges():
    X = np.random.default_rng(0).random((10, 8, 8))
    X[3, 2, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        _fit(X, np.array([0, 1] * 5))
    with pytest.raises(ValueError, match=r"\[0, 1\] or \[-1, 1\]"):
        _fit(np.full((10, 8, 8), 16.0), np.array([0, 1] * 5))
    with pytest.raises(ValueError, match="0..255"):
        _fit(np.full((10, 8, 8), 300, dtype=np.int64), np.array([0, 1] * 5))


def test_labels_that_do_not_match():
    X = np.zeros((10, 8, 8), dtype=np.uint8)
    with pytest.raises(ValueError):
        _fit(X, np.array([0, 1] * 4))
    with pytest.raises(ValueError, match="y is None"):
        _fit(X, None)


def test_resizer_keeps_exact_size():
    r = ImageResizer(9, 13)
    assert r.side == 16
    x = torch.rand(2, 1, 9, 13)
    assert r.from_model(r.to_model(x)).shape == x.shape
    assert ImageResizer(8, 8).side == 8 and ImageResizer(30, 30).side == 32
