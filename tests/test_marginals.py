"""Per-class distributions of table columns: value grids, point masses, categories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.special import softmax

from ganaug import GANAugmenter
from ganaug.encoders.grids import Grid, detect_grid, on_grid, snap
from ganaug.sampling.categories import CategoryMatcher
from ganaug.sampling.corrections import MomentMatcher
from ganaug.sampling.marginals import QuantileMatcher, smoothed_quantiles

SMALL = dict(max_steps=20, hidden_units=(32,), latent_dim=8, n_critic=1, random_state=0)


def _table(seed: int = 0, n0: int = 240, n1: int = 80) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.array([0] * n0 + [1] * n1)
    n, minority = len(y), y == 1
    zero_share = np.where(minority, 0.6, 0.2)
    frame = pd.DataFrame(
        {
            "income": np.round(np.exp(rng.normal(10.5 - 0.3 * minority, 0.4))),
            "loan": 1000.0 * rng.integers(1, 40, n),
            "assets": np.where(
                rng.random(n) < zero_share, 0.0, np.round(rng.lognormal(8, 1, n), 2)
            ),
            "rate": 0.25 * rng.integers(40, 120, n),
            "score": rng.choice([1.5, 2.0, 4.0], n),
            "region": np.where(
                minority, rng.choice(["A", "B"], n, p=[0.8, 0.2]), rng.choice(["B", "C", "D"], n)
            ),
        }
    )
    return frame, y


@pytest.fixture(scope="module")
def fitted():
    X, y = _table()
    aug = GANAugmenter(**SMALL).fit(X, y)
    X_new, y_new = aug.sample({0: 1500, 1: 1500})
    return aug, X, y, X_new, np.asarray(y_new)


# -- grids -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, step",
    [
        (np.round(np.random.default_rng(0).normal(5e4, 1e4, 500)), 1.0),
        (5.0 * np.random.default_rng(1).integers(0, 100, 500), 5.0),
        (1000.0 * np.random.default_rng(2).integers(1, 40, 500), 1000.0),
        (0.25 * np.random.default_rng(3).integers(0, 400, 500), 0.25),
        (np.round(np.random.default_rng(4).uniform(0, 100, 500), 2), 0.01),
    ],
)
def test_detect_grid_finds_the_coarsest_step(values, step):
    grid = detect_grid(values)
    assert grid == Grid(step, 0.0)
    noisy = np.random.default_rng(5).uniform(values.min(), values.max(), 1000)
    assert on_grid(snap(noisy, grid), grid).mean() == 1.0


def test_detect_grid_with_an_offset_and_a_few_stray_values():
    rng = np.random.default_rng(0)
    prices = np.r_[10.0 * rng.integers(0, 50, 995) + 9.99, rng.uniform(0, 500, 5)]
    grid = detect_grid(prices)
    assert grid is not None and grid.step == 10.0 and grid.offset == pytest.approx(9.99)
    assert on_grid(prices, grid).mean() >= 0.99
    assert snap(np.array([31.0]), grid)[0] == pytest.approx(29.99)


def test_ages_in_years_and_months_as_stored_are_on_the_grid_of_twelfths():
    months = np.random.default_rng(0).integers(18 * 12, 80 * 12, 800)
    ages = np.round(months / 12, 5)  # as a table stores them: 32.33333, 37.91667
    grid = detect_grid(ages)
    assert grid is not None and grid.step == pytest.approx(1 / 12) and grid.offset == 0.0
    assert on_grid(ages, grid).all()
    snapped = snap(np.array([33.87865, 20.78707, 30.4]), grid)
    np.testing.assert_allclose(snapped * 12, [407, 249, 365])
    # whole months stay a decimal grid: quarters, halves and whole years are not twelfths
    assert detect_grid(np.random.default_rng(1).integers(0, 300, 800) / 4).step == 0.25
    # a thousandth of a step is still chance for continuous values
    assert detect_grid(np.random.default_rng(2).uniform(18, 80, 2000)) is None


def test_few_valued_column_is_drawn_from_its_observed_values_and_nan_is_ignored():
    values = np.r_[np.random.default_rng(0).choice([1.5, 2.7, 9.0], 100), np.nan]
    grid = detect_grid(values)
    assert grid == Grid(None, values=[1.5, 2.7, 9.0])
    snapped = snap(np.array([0.0, 2.5, 100.0, np.nan]), grid)
    np.testing.assert_array_equal(snapped[:3], [1.5, 2.7, 9.0])
    assert np.isnan(snapped[3])


def test_continuous_column_has_no_grid_and_snapping_respects_bounds():
    assert detect_grid(np.random.default_rng(0).normal(size=500)) is None
    assert detect_grid(np.array([np.nan, np.nan])) is None
    grid = Grid(1000.0)
    # 1,000-steps inside [1500, 9700]: the nearest point inside, never past a bound
    np.testing.assert_array_equal(snap(np.array([1400.0, 9900.0]), grid, 1500, 9700), [2000, 9000])
    # no grid point inside the bounds: the value stays as it is
    np.testing.assert_array_equal(snap(np.array([5.0, 12.0]), grid, 1, 9), [5.0, 9.0])


def test_grid_columns_come_out_on_their_grid(fitted):
    aug, X, _, X_new, _ = fitted
    assert (X_new["income"] == np.round(X_new["income"])).all()
    assert X_new["income"].dtype == X["income"].dtype == np.float64
    assert ((X_new["loan"] % 1000) == 0).mean() >= 0.99
    assert ((X_new["rate"] % 0.25) == 0).mean() >= 0.99
    cents = X_new["assets"] * 100
    assert (np.abs(cents - np.round(cents)) < 1e-6).mean() >= 0.99
    assert set(X_new["score"].unique()) <= {1.5, 2.0, 4.0}


# -- point masses and quantile mapping -----------------------------------------------


def test_quantile_matcher_gives_each_class_its_point_mass_and_range():
    rng = np.random.default_rng(0)
    real_y = np.repeat([0, 1, 2], [300, 100, 3])
    zero_share = np.array([0.3, 0.7, 0.0])[real_y]
    real = np.where(rng.random(len(real_y)) < zero_share, 0.0, rng.lognormal(3, 1, len(real_y)))
    ref_y = np.repeat([0, 1, 2], 2000)
    synthetic = rng.normal(10, 5, len(ref_y))
    matcher = QuantileMatcher().fit(real[:, None], real_y, synthetic[:, None], ref_y, 3)
    y = np.repeat([0, 1, 2], 4000)
    fresh = rng.normal(10, 5, len(y))[:, None]
    mapped = matcher.apply(fresh, y, rng.random(fresh.shape))[:, 0]
    for k in (0, 1):
        real_k, mapped_k = real[real_y == k], mapped[y == k]
        assert abs((mapped_k == 0).mean() - (real_k == 0).mean()) < 0.03
        assert mapped_k.min() >= real_k.min() and mapped_k.max() <= real_k.max()
        # values between the observed ones come out, not only copies of them
        assert np.isin(mapped_k[mapped_k > 0], real_k).mean() < 0.1
    # a class with fewer than 5 real rows is left as the generator made it
    np.testing.assert_array_equal(mapped[y == 2], fresh[y == 2, 0])


def test_a_sentinel_and_a_clipped_maximum_come_out_exactly_at_their_rates():
    rng = np.random.default_rng(1)
    real = np.minimum(rng.exponential(30, 1000), 100.0)  # clipped at 100 (~4%)
    real[rng.random(1000) < 0.1] = 999.0  # a sentinel
    y = np.zeros(1000, dtype=np.int64)
    ref_y = np.zeros(2000, dtype=np.int64)
    matcher = QuantileMatcher().fit(real[:, None], y, rng.normal(size=(2000, 1)), ref_y, 1)
    fresh = rng.normal(size=(20000, 1))
    mapped = matcher.apply(fresh, np.zeros(20000, int), rng.random(fresh.shape))[:, 0]
    for value in (100.0, 999.0):
        assert abs((mapped == value).mean() - (real == value).mean()) < 0.01
    assert ((mapped > 100) & (mapped < 999)).mean() < 0.01


def test_quantile_matcher_spreads_a_synthetic_point_mass_and_keeps_nan():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(500, 1))
    # a generator whose column collapsed onto one value
    matcher = QuantileMatcher().fit(
        real, np.zeros(500, int), np.ones((2000, 1)), np.zeros(2000, int), 1
    )
    values = np.r_[np.ones(3000), np.nan][:, None]
    mapped = matcher.apply(values, np.zeros(3001, int), rng.random(values.shape))[:, 0]
    assert np.isnan(mapped[-1])
    assert abs(mapped[:-1].std() - real.std()) < 0.1 and len(np.unique(mapped)) > 1000


def test_zero_inflated_column_gets_each_class_its_exact_zero_rate(fitted):
    _, X, y, X_new, y_new = fitted
    for k in (0, 1):
        real_rate = (X["assets"][y == k] == 0).mean()
        assert abs((X_new["assets"][y_new == k] == 0).mean() - real_rate) < 0.05
        income_k = X["income"][y == k]
        synthetic_k = X_new["income"][y_new == k]
        assert synthetic_k.min() >= income_k.min() and synthetic_k.max() <= income_k.max()


# -- categories per class ------------------------------------------------------------


def test_category_matcher_forbids_unseen_pairs_and_matches_frequencies():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4000, 5))
    logits_y = np.repeat([0, 1], 2000)
    # column 0: logits 0..2 (three categories, then "missing" at 3); column 1: logit 4 only
    real_codes = np.stack([rng.choice([0, 1, 3], 300, p=[0.2, 0.5, 0.3]), np.zeros(300, int)], 1)
    real_y = np.repeat([0, 1], [297, 3])
    real_codes[real_y == 1, 0] = 2
    matcher = CategoryMatcher().fit(logits, logits_y, real_codes, real_y, [(0, 3), (4, 1)], 2)
    assert matcher.bias_.shape == (2, 4)
    assert matcher.bias_[0, 2] < -1e3  # category 2 never occurs with class 0
    assert (matcher.bias_[1, :2] < -1e3).all() and matcher.bias_[1, 2] == 0.0
    p = softmax(logits[:2000, :3] + matcher.bias_[0, :3], axis=1).mean(axis=0)
    present = real_codes[real_y == 0, 0]
    present = present[present < 3]
    np.testing.assert_allclose(p[:2], np.bincount(present)[:2] / len(present), atol=1e-3)
    bias = matcher.logit_bias([0, 1, 2, 4], 5)
    assert bias.shape == (2, 5) and bias[0, 3] == 0.0


def test_no_unseen_class_category_pair_and_real_frequencies(fitted):
    aug, X, y, _, _ = fitted
    X_res, y_res = aug.fit_resample(X, y)
    X_syn, y_syn = X_res.iloc[len(X) :], np.asarray(y_res)[len(X) :]
    seen = set(zip(y.tolist(), X["region"]))
    assert all(pair in seen for pair in zip(y_syn.tolist(), X_syn["region"]))
    _, _, _, X_new, y_new = fitted
    for k in (0, 1):
        real = X["region"][y == k].value_counts(normalize=True)
        synthetic = X_new["region"][y_new == k].value_counts(normalize=True)
        assert set(synthetic.index) <= set(real.index)
        assert (real - synthetic.reindex(real.index, fill_value=0)).abs().max() < 0.05


def test_category_support_composes_with_the_nan_rate():
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1], [150, 100])
    color = np.where(y == 0, rng.choice(["red", "blue"], 250), rng.choice(["green", "red"], 250))
    color = np.where((y == 1) & (rng.random(250) < 0.4), None, color)
    X = pd.DataFrame({"color": color, "x": rng.normal(size=250)})
    aug = GANAugmenter(**SMALL).fit(X, y)
    X_new, y_new = aug.sample({0: 2000, 1: 2000})
    y_new = np.asarray(y_new)
    assert X_new["color"][y_new == 0].notna().all()
    assert abs(X_new["color"][y_new == 1].isna().mean() - pd.isna(color[y == 1]).mean()) < 0.05
    assert set(X_new["color"][y_new == 0]) == {"red", "blue"}
    assert set(X_new["color"][y_new == 1].dropna()) == {"green", "red"}


def test_a_class_with_one_row_only_gets_its_own_categories():
    X, y = _table(n0=60, n1=0)
    X = pd.concat([X, pd.DataFrame([X.iloc[0].to_dict() | {"region": "Z"}])], ignore_index=True)
    y = np.r_[y, 1]
    aug = GANAugmenter(**SMALL)
    with pytest.warns(UserWarning, match="fewer than 3 rows"):
        X_res, y_res = aug.fit_resample(X, y)
    X_syn, y_syn = X_res.iloc[len(X) :], np.asarray(y_res)[len(X) :]
    assert (X_syn["region"][y_syn == 1] == "Z").all()
    assert "Z" not in set(X_syn["region"][y_syn == 0])


# -- persistence ---------------------------------------------------------------------


def test_save_and_load_give_the_same_samples(fitted, tmp_path):
    aug = fitted[0]
    aug.save(tmp_path / "model")
    loaded = GANAugmenter.load(tmp_path / "model")
    assert isinstance(loaded.model_.matcher, QuantileMatcher)
    assert loaded.model_.categories is not None
    a, _ = aug.sample({1: 300})
    b, _ = loaded.sample({1: 300})
    pd.testing.assert_frame_equal(a, b)


def test_a_model_saved_with_moment_matching_loads_and_samples_as_before(fitted, tmp_path):
    aug = fitted[0]
    model = aug.model_
    old = MomentMatcher()
    n_cont = model.matcher.real_.shape[1]
    old.scale_ = np.full((2, n_cont), 1.5)
    old.offset_ = np.zeros((2, n_cont))
    saved = model.matcher, model.categories
    model.matcher = old
    model.set_missing(model.missing, None)
    try:
        aug.save(tmp_path / "old")
        expected, _ = aug.sample({0: 50, 1: 50})
    finally:
        model.matcher = saved[0]
        model.set_missing(model.missing, saved[1])
    loaded = GANAugmenter.load(tmp_path / "old")
    assert isinstance(loaded.model_.matcher, MomentMatcher)
    assert loaded.model_.categories is None
    got, _ = loaded.sample({0: 50, 1: 50})
    pd.testing.assert_frame_equal(got, expected)


def test_column_descriptions_without_grid_fields_still_load(fitted):
    from ganaug.models.tabular import TabularGAN

    config, tensors = fitted[0].model_.get_state()
    for info in config["encoder"]["columns"]:
        info.pop("grid_step")
        info.pop("grid_offset")
    model = TabularGAN.from_state(config, tensors, torch.device("cpu"))
    income = next(info for info in model.encoder.columns_ if info.name == "income")
    assert income.grid is None
    assert model.generate(np.zeros(10, dtype=np.int64), torch.Generator().manual_seed(0)).shape == (
        10,
        6,
    )


def test_quantile_map_fast_path_is_the_same_distribution_function():
    """Without ties among the synthetic knots, apply() interpolates with np.interp; it
    must be the function that _distribution computes (which also handles ties)."""
    from ganaug.sampling.marginals import _distribution

    rng = np.random.default_rng(0)
    knots = np.sort(rng.normal(size=201))
    levels = np.linspace(0.0, 1.0, 201)
    x = np.concatenate([rng.normal(scale=1.5, size=2000), knots[::7], [-9.0, 9.0]])
    ties = rng.random(len(x))
    np.testing.assert_allclose(
        np.interp(x, knots, levels), _distribution(x, knots, levels, ties), atol=1e-12
    )


def _bin_error(values: np.ndarray, edges: np.ndarray) -> float:
    """L1 distance between the values' histogram and the standard normal's bin masses."""
    from scipy.stats import norm

    counts = np.histogram(values, edges)[0] / len(values)
    return float(np.abs(counts - np.diff(norm.cdf(edges))).sum())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_smoothed_quantiles_fill_the_gaps_between_a_small_samples_values(seed):
    rng = np.random.default_rng(seed)
    real = rng.normal(size=150)
    levels = np.linspace(0, 1, 201)
    smooth = smoothed_quantiles(real, levels)
    plain = np.quantile(real, levels)
    assert smooth[0] == real.min() and smooth[-1] == real.max()
    assert np.all(np.diff(smooth) >= 0)
    u = rng.random(50_000)
    edges = np.linspace(-2, 2, 41)
    # the plain quantile function repeats the sample's clumps; the smoothed one is
    # nearer the distribution the sample came from
    assert _bin_error(np.interp(u, levels, smooth), edges) < 0.75 * _bin_error(
        np.interp(u, levels, plain), edges
    )


def test_smoothed_quantiles_keep_point_masses_and_discrete_columns_exact():
    rng = np.random.default_rng(3)
    levels = np.linspace(0, 1, 2001)
    amounts = np.where(rng.random(400) < 0.4, 0.0, np.round(rng.lognormal(8, 1, 400), 2))
    q = smoothed_quantiles(amounts, levels)
    assert abs((q == 0).mean() - (amounts == 0).mean()) < 0.002
    assert q.min() == 0.0  # a positive amount never turns negative
    few = rng.choice([250.0, 500.0, 1000.0], 300)
    np.testing.assert_array_equal(smoothed_quantiles(few, levels), np.quantile(few, levels))


def _salaries(rng: np.random.Generator, n: int) -> np.ndarray:
    """Smooth salaries, 15% of them one of five round figures (3% each)."""
    smooth = np.round(rng.lognormal(np.log(50_000), 0.3, n), 2)
    round_figures = rng.choice([30_000.0, 40_000.0, 50_000.0, 60_000.0, 70_000.0], n)
    return np.where(rng.random(n) < 0.15, round_figures, smooth)


def test_point_masses_of_all_rows_are_kept_in_a_small_class():
    rng = np.random.default_rng(0)
    pooled, small = _salaries(rng, 3000), _salaries(rng, 80)
    levels = np.linspace(0, 1, 201)
    own = smoothed_quantiles(small, levels)
    shared = smoothed_quantiles(small, levels, np.array([30e3, 40e3, 50e3, 60e3, 70e3]))
    # 80 rows show each round figure two or three times: alone, no point mass
    assert np.isin(own, [30e3, 40e3, 50e3, 60e3, 70e3]).mean() < 0.05
    rate = np.isin(small, [30e3, 40e3, 50e3, 60e3, 70e3]).mean()
    assert np.isin(shared, [30e3, 40e3, 50e3, 60e3, 70e3]).mean() == pytest.approx(rate, abs=0.03)
    # the matcher reads them on the rows of all classes (not borrowing the other
    # class's distribution, which would bring its own rate of round figures)
    y = np.r_[np.zeros(3000, dtype=int), np.ones(80, dtype=int)]
    real = np.r_[pooled, small][:, None]
    synthetic = rng.lognormal(np.log(50_000), 0.3, 4000)[:, None]
    y_syn = np.repeat([0, 1], 2000)
    matcher = QuantileMatcher(borrow=False).fit(real, y, synthetic, y_syn, 2)
    out = matcher.apply(synthetic, y_syn, rng.random(synthetic.shape))[y_syn == 1, 0]
    assert np.isin(out, [30e3, 40e3, 50e3, 60e3, 70e3]).mean() == pytest.approx(rate, abs=0.03)
    assert not hasattr(matcher, "_shared_atoms")  # nothing of the training rows is kept
