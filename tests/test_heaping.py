"""Heaped precision: columns whose values are written with different numbers of decimals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ganaug import GANAugmenter
from ganaug.encoders.heaping import Heaping, detect_heaping, heap
from ganaug.encoders.tabular import TabularEncoder

SMALL = dict(max_steps=20, hidden_units=(32,), latent_dim=8, n_critic=1, random_state=0)


def _decimals(values: np.ndarray, most: int = 6) -> np.ndarray:
    """Each value's number of decimals, read as printed (float32 numbers as float32)."""
    return np.array([len(f"{v:.{most}f}".rstrip("0").split(".")[1]) for v in values])


def _ratios(n: int, seed: int = 0, two_decimals: float = 0.7) -> np.ndarray:
    """Debt ratios: most written to two decimals, the rest to four."""
    rng = np.random.default_rng(seed)
    x = rng.gamma(8, 0.04, n)
    return np.where(rng.random(n) < two_decimals, np.round(x, 2), np.round(x, 4))


def test_detect_heaping_reads_the_share_of_values_at_each_number_of_decimals():
    values = _ratios(3000)
    model = detect_heaping(values, None, False)
    assert model is not None and not model.float32 and model.finest == 4
    shares = dict(zip(range(model.coarsest, model.finest + 1), model.shares))
    # 70% written to two decimals, of which a tenth happen to have one (or none)
    assert sum(v for d, v in shares.items() if d <= 1) == pytest.approx(0.07, abs=0.02)
    assert shares[2] == pytest.approx(0.63, abs=0.03)
    assert shares[4] == pytest.approx(0.27, abs=0.03)  # the four-decimal ones, most of them
    assert sum(model.shares) == pytest.approx(1.0)


def test_columns_without_heaps_or_decimals_have_no_heaping():
    rng = np.random.default_rng(1)
    x = rng.gamma(8, 0.04, 2000)
    assert detect_heaping(np.round(x, 2), 0.01, False) is None  # one precision: the grid's job
    assert detect_heaping(x, None, False) is None  # measurements: no decimals to read
    quarters = np.round(x * 4) / 4 + np.where(rng.random(2000) < 0.5, 0.0, 1.0)
    assert detect_heaping(quarters, 0.25, False) is None  # not a decimal grid
    assert detect_heaping(np.round(x, 1), None, True) is None  # a few observed values


def test_a_repeated_zero_is_a_point_mass_not_a_heap():
    rng = np.random.default_rng(2)
    wages = np.where(rng.random(2000) < 0.4, 0.0, _ratios(2000, seed=3) * 30)
    model = detect_heaping(wages, None, False)
    assert model is not None and model.spikes == [0.0]
    generated = np.r_[np.zeros(100), rng.uniform(0.01, 0.3, 2000), rng.uniform(1, 20, 2000)]
    out = heap(generated, model, rng.random(len(generated)), wages.min(), wages.max())
    assert (out[:100] == 0).all()  # zeros stay
    assert (out[100:] != 0).all()  # and no value is rounded onto one


def test_heap_writes_values_with_the_drawn_shares_of_decimals_inside_the_range():
    real = _ratios(4000, seed=4)
    model = detect_heaping(real, None, False)
    rng = np.random.default_rng(5)
    generated = rng.gamma(8, 0.04, 20000)
    lower, upper = real.min(), real.max()
    out = heap(np.clip(generated, lower, upper), model, rng.random(len(generated)), lower, upper)
    got = np.bincount(np.clip(_decimals(out), model.coarsest, None) - model.coarsest, minlength=5)
    assert got[: len(model.shares)] / len(out) == pytest.approx(model.shares, abs=0.015)
    assert out.min() >= lower and out.max() <= upper
    # rounding moves a value by at most a step and a half of its level (the nudge)
    assert np.abs(out - np.clip(generated, lower, upper)).max() <= 1.5 * 10.0**-model.coarsest


def test_float32_decimals_are_read_as_written_and_written_back_in_float32():
    values = _ratios(3000, seed=6).astype(np.float32).astype(np.float64)  # 0.81419998
    model = detect_heaping(values, None, False)
    assert model is not None and model.float32 and model.finest == 4
    rng = np.random.default_rng(7)
    out = heap(rng.gamma(8, 0.04, 1000), model, rng.random(1000))
    assert np.array_equal(out.astype(np.float32).astype(np.float64), out)
    assert (_decimals(out.astype(np.float32)) <= 4).all()


def _loans(seed: int = 0, n0: int = 400, n1: int = 80) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.array([0] * n0 + [1] * n1)
    frame = pd.DataFrame(
        {
            "ratio": _ratios(len(y), seed) + 0.05 * y,
            "income": np.round(rng.lognormal(10, 0.4, len(y)), 2),
        }
    )
    return frame, y


def test_synthetic_rows_keep_the_heaps_and_survive_save_and_load(tmp_path):
    X, y = _loans()
    aug = GANAugmenter(**SMALL).fit(X, y)
    heaped = [c.name for c in aug.model_.encoder.columns_ if c.heaping is not None]
    assert heaped == ["ratio"]  # income: every value to the cent, one precision
    X_new, _ = aug.sample({0: 1500, 1: 1500})
    real_two = np.mean(_decimals(X["ratio"].to_numpy()) <= 2)
    assert np.mean(_decimals(X_new["ratio"].to_numpy()) <= 2) == pytest.approx(real_two, abs=0.05)
    assert (_decimals(X_new["income"].to_numpy()) <= 2).all()
    aug.save(tmp_path / "model")
    loaded = GANAugmenter.load(tmp_path / "model")
    a, _ = aug.sample({1: 300}, random_state=3)
    b, _ = loaded.sample({1: 300}, random_state=3)
    pd.testing.assert_frame_equal(a, b)


def test_an_encoder_saved_before_heaping_loads_and_heaps_nothing():
    X, _ = _loans()
    encoder = TabularEncoder().fit(X)
    state = encoder.get_state()
    for column in state["columns"]:
        del column["heaping"]
    old = TabularEncoder.from_state(state)
    assert old.n_heaped == 0
    values = encoder.continuous_values(X)
    out = old.continuous_on_grid(values, np.zeros((len(X), 0)))
    np.testing.assert_array_equal(out, encoder.continuous_on_grid(values))


def test_heaping_config_is_plain_values():
    model = Heaping(1, [0.1, 0.6, 0.3], spikes=[0.0])
    assert Heaping(**model.to_dict()) == model and model.finest == 3
