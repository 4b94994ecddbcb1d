"""The realism filter: a pool of synthetic rows, of which each class keeps its most realistic."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import torch

from ganaug import GANAugmenter
from ganaug.sampling.gate import take
from ganaug.sampling.realism import (
    MIN_CLASS_ROWS,
    RealismFilter,
    filtered_generate,
    fit_realism_filter,
)

TINY = {"max_steps": 2, "hidden_units": (8,), "latent_dim": 4, "n_critic": 1}


def _shifted_pool(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of which the first half look like the real ones and the second half are shifted."""
    rng = np.random.default_rng(seed)
    like = rng.normal(size=(n // 2, 3))
    shifted = rng.normal(size=(n - n // 2, 3)) + np.array([3.0, -3.0, 0.0])
    return np.concatenate([like, shifted]).astype(np.float32), np.arange(n) >= n // 2


def _trained_filter(seed: int = 0) -> RealismFilter:
    rng = np.random.default_rng(seed)
    real = rng.normal(size=(400, 3)).astype(np.float32)
    y_real = np.repeat([0, 1], 200)
    synthetic, _ = _shifted_pool(400, seed + 1)
    y_syn = np.tile([0, 1], 200)
    return fit_realism_filter(real, y_real, synthetic, y_syn, 2, seed, torch.device("cpu"))


def _table(n: int = 120, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "product": rng.lognormal(size=n) * rng.uniform(1, 2, size=n),
            "color": pd.Categorical(rng.choice(["red", "blue", "green"], size=n)),
            "maybe": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
        }
    )
    return frame, np.where(np.arange(n) < 90, "common", "rare")


def test_filter_keeps_mostly_realistic_rows():
    realism = _trained_filter()
    pool, shifted = _shifted_pool(800, seed=7)
    y_pool = np.tile([0, 1], 400)  # each class: half real-like, half shifted
    y_idx = np.repeat([0, 1], 100)  # keep one row in four of each class
    rng = torch.Generator().manual_seed(0)
    kept = realism.select(pool, y_pool, y_idx, rng)
    assert len(np.unique(kept)) == len(kept)  # without replacement
    assert (y_pool[kept] == y_idx).all()
    # half of the pool is shifted; the classifier should keep far fewer of those
    assert shifted[kept].mean() < 0.1


def test_clipping_keeps_some_diversity():
    """With a tight clip the selection is gentler: more shifted rows get through."""
    realism = _trained_filter()
    pool, shifted = _shifted_pool(800, seed=7)
    y_pool, y_idx = np.zeros(800, dtype=np.int64), np.zeros(200, dtype=np.int64)
    strict = realism.select(pool, y_pool, y_idx, torch.Generator().manual_seed(0))
    realism.settings.max_log_ratio = 0.25
    gentle = realism.select(pool, y_pool, y_idx, torch.Generator().manual_seed(0))
    assert shifted[gentle].mean() > shifted[strict].mean()


def test_selection_is_repeatable_and_ordered_as_asked():
    realism = _trained_filter()
    rows = []

    def generate(y, rng):
        pool, _ = _shifted_pool(len(y), seed=int(torch.randint(1000, (1,), generator=rng)))
        rows.append(len(y))
        return pd.DataFrame({"a": pool[:, 0], "b": pool[:, 1], "c": pool[:, 2], "y": y})

    def featurize(frame):
        return frame[["a", "b", "c"]].to_numpy()

    y_idx = np.r_[np.full(7, 1), np.full(5, 0)]
    first = filtered_generate(
        generate, featurize, realism, y_idx, torch.Generator().manual_seed(3), take
    )
    again = filtered_generate(
        generate, featurize, realism, y_idx, torch.Generator().manual_seed(3), take
    )
    pd.testing.assert_frame_equal(first, again)
    assert first["y"].tolist() == y_idx.tolist()
    assert rows[0] == realism.settings.pool_factor * len(y_idx)


def test_small_classes_are_not_filtered():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(40 + MIN_CLASS_ROWS - 1, 2)).astype(np.float32)
    y_real = np.r_[np.zeros(40, dtype=np.int64), np.ones(MIN_CLASS_ROWS - 1, dtype=np.int64)]
    synthetic = (rng.normal(size=(80, 2)) + 2).astype(np.float32)
    realism = fit_realism_filter(
        real, y_real, synthetic, np.tile([0, 1], 40), 2, 0, torch.device("cpu")
    )
    assert realism.filtered.tolist() == [True, False]
    assert (realism.log_ratio(synthetic, np.ones(80, dtype=np.int64)) == 0).all()


def test_estimator_gives_exact_counts_with_nan_and_categories():
    frame, y = _table()
    aug = GANAugmenter(random_state=0, **TINY).fit(frame, y)
    assert aug._realism is not None
    X_new, y_new = aug.sample({"common": 13, "rare": 29}, random_state=1)
    assert (y_new == "common").sum() == 13 and (y_new == "rare").sum() == 29
    assert list(X_new.columns) == list(frame.columns)
    assert X_new.dtypes.equals(frame.dtypes)
    assert set(X_new["color"].dropna()) <= {"red", "blue", "green"}
    X_res, y_res = aug.fit_resample(frame, y)
    assert (y_res == "rare").sum() == (y_res == "common").sum() == 90


def test_estimator_is_repeatable_and_survives_save_load(tmp_path):
    frame, y = _table()
    a = GANAugmenter(random_state=0, **TINY).fit(frame, y)
    b = GANAugmenter(random_state=0, **TINY).fit(frame, y)
    expected = a.sample({"rare": 40}, random_state=5)[0]
    pd.testing.assert_frame_equal(b.sample({"rare": 40}, random_state=5)[0], expected)
    a.save(tmp_path / "model")
    loaded = GANAugmenter.load(tmp_path / "model")
    assert loaded._realism is not None
    pd.testing.assert_frame_equal(loaded.sample({"rare": 40}, random_state=5)[0], expected)
    unpickled = pickle.loads(pickle.dumps(a))
    pd.testing.assert_frame_equal(unpickled.sample({"rare": 40}, random_state=5)[0], expected)


def test_filter_can_be_turned_off():
    frame, y = _table()
    on = GANAugmenter(random_state=0, **TINY).fit(frame, y)
    off = GANAugmenter(random_state=0, realism_filter=False, **TINY).fit(frame, y)
    assert off._realism is None
    X_off, _ = off.sample({"rare": 30}, random_state=2)
    # off: the rows are the model's own draw, as if there were no filter
    rng = torch.Generator().manual_seed(2)
    direct = off.model_.generate(np.ones(30, dtype=np.int64), rng)
    pd.testing.assert_frame_equal(X_off, direct)
    X_on, _ = on.sample({"rare": 30}, random_state=2)
    assert not X_on.equals(X_off)


@pytest.mark.filterwarnings("ignore:The label-fidelity filter could not fill")
def test_filter_works_with_the_label_gate_and_a_tiny_class():
    frame, y = _table()
    y = y.copy()
    y[:2] = "tiny"  # under 3 rows: the tiny-class warning
    aug = GANAugmenter(random_state=0, filter_samples=True, **TINY)
    with pytest.warns(UserWarning):
        aug.fit(frame, y)
    assert aug._realism.filtered.tolist() == [True, True, False]
    X_new, y_new = aug.sample({"tiny": 6, "rare": 4}, random_state=0)
    assert len(X_new) == len(y_new)
    assert set(np.unique(y_new)) <= {"tiny", "rare"}


def test_images_ignore_the_filter():
    """The filter is for tables: an image model trains none and samples as it would without."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(24, 8, 8), dtype=np.uint8)
    labels = np.repeat([0, 1], 12)
    params = {"max_steps": 2, "batch_size": 8, "n_jobs": 1, "random_state": 0}
    on = GANAugmenter(**params).fit(images, labels)
    off = GANAugmenter(realism_filter=False, **params).fit(images, labels)
    assert on._realism is None
    np.testing.assert_array_equal(
        on.sample({1: 5}, random_state=0)[0], off.sample({1: 5}, random_state=0)[0]
    )


def test_realism_filter_must_be_a_bool():
    frame, y = _table()
    with pytest.raises(ValueError, match="realism_filter"):
        GANAugmenter(realism_filter="yes", **TINY).fit(frame, y)
