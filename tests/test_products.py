"""Noisy products between positive columns: found at fit, kept in synthetic rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ganaug import GANAugmenter
from ganaug.sampling.products import Product, ProductMatcher, Share, find_products, find_shares
from ganaug.sampling.rules import Order

SMALL = dict(max_steps=20, hidden_units=(32,), latent_dim=8, n_critic=1, random_state=0)


def _bill(seed: int = 0, n0: int = 300, n1: int = 60) -> tuple[pd.DataFrame, np.ndarray]:
    """Total charges about tenure x monthly charges; the minority class pays more and
    its totals spread wider around the product."""
    rng = np.random.default_rng(seed)
    y = np.array([0] * n0 + [1] * n1)
    n, minority = len(y), y == 1
    tenure = np.clip(np.round(rng.gamma(1.3, 22, n)), 1, 72)
    monthly = np.round(rng.uniform(20, 100, n) + 15 * minority, 2)
    noise = rng.lognormal(0, np.where(minority, 0.1, 0.03))
    frame = pd.DataFrame(
        {
            "tenure": tenure,
            "monthly": monthly,
            "total": np.round(tenure * monthly * noise, 2),
            "age": np.round(rng.normal(40, 10, n)),
            "plan": rng.choice(["a", "b"], n),
        }
    )
    return frame, y


def _log_ratio(frame: pd.DataFrame) -> np.ndarray:
    return np.log(frame["total"] / (frame["tenure"] * frame["monthly"])).to_numpy()


def test_find_products_finds_a_product_and_a_power_law():
    rng = np.random.default_rng(0)
    a, b, r = rng.uniform(1, 50, 400), rng.uniform(10, 90, 400), rng.uniform(5, 20, 400)
    values = np.column_stack(
        [a, b, a * b * rng.lognormal(0, 0.05, 400), r, 3.14 * r**2 * rng.lognormal(0, 0.02, 400)]
    )
    found = {p.target: p for p in find_products(values)}
    assert set(found) == {2, 4}
    assert found[2].factors in ((0, 1), (1, 0))
    assert np.allclose(found[2].coef[1:], 1.0, atol=0.03)
    assert found[4].factors == (3,) and found[4].coef[1] == pytest.approx(2.0, abs=0.02)


def test_find_products_leaves_correlated_signed_and_excluded_columns_alone():
    rng = np.random.default_rng(1)
    a, b = rng.uniform(1, 50, 400), rng.uniform(10, 90, 400)
    loose = a * b * rng.lognormal(0, 0.6, 400)  # R^2 well below MIN_R2 in logs
    with_zero = np.where(rng.random(400) < 0.3, 0.0, a * b)  # not all positive
    signed = a * b * rng.choice([-1.0, 1.0], 400)
    values = np.column_stack([a, b, loose, with_zero, signed])
    assert find_products(values) == []
    exact_ish = np.column_stack([a, b, a * b * rng.lognormal(0, 0.01, 400)])
    assert find_products(exact_ish, allowed=np.array([True, True, False])) == []
    assert [p.target for p in find_products(exact_ish)] == [2]


def test_find_products_never_uses_a_target_as_a_factor_and_skips_missing_rows():
    rng = np.random.default_rng(2)
    a, b = rng.uniform(1, 50, 400), rng.uniform(10, 90, 400)
    c = a * b * rng.lognormal(0, 0.03, 400)
    d = c * rng.uniform(2, 3, 400) * rng.lognormal(0, 0.01, 400)  # about c x a third column
    values = np.column_stack([a, b, c, d])
    values[rng.random(400) < 0.2, 0] = np.nan  # missing tenure in a fifth of the rows
    found = find_products(values)
    targets = {p.target for p in found}
    assert targets and not targets & {f for p in found for f in p.factors}


def test_product_matcher_gives_each_class_its_real_spread_and_keeps_what_it_cannot_read():
    rng = np.random.default_rng(3)
    n = 600
    y = np.repeat([0, 1], n // 2)
    a, b = rng.uniform(1, 50, n), rng.uniform(10, 90, n)
    real = np.column_stack([a, b, a * b * rng.lognormal(0, np.where(y == 1, 0.1, 0.02))])
    product = Product(2, (0, 1), (0.0, 1.0, 1.0))
    # the generator's totals: right marginal roughly, no relation to its factors
    synthetic = np.column_stack([a, b, rng.permutation(real[:, 2])])
    matcher = ProductMatcher([product]).fit(real, y, synthetic, y, 2)
    fresh = synthetic.copy()
    fresh[:5, 2] = np.nan
    fresh[5:10, 0] = -1.0  # a factor that is not positive: the row keeps its total
    out = matcher.apply(fresh, y, rng.random((n, 1)))
    for k, spread in ((0, 0.02), (1, 0.1)):
        rows = (y == k) & (np.arange(n) >= 10)
        assert np.std(product.residual(out[rows])) == pytest.approx(spread, rel=0.15)
    assert np.isnan(out[:5, 2]).all()
    assert np.array_equal(out[5:10], fresh[5:10])
    assert np.array_equal(out[:, :2], fresh[:, :2])  # factors are never changed


@pytest.fixture(scope="module")
def fitted():
    X, y = _bill()
    aug = GANAugmenter(**SMALL).fit(X, y)
    return aug, X, y


def test_synthetic_rows_keep_each_class_spread_around_the_product(fitted):
    aug, X, y = fitted
    products = aug.model_.products.products
    continuous = [c.name for c in aug.model_.encoder.columns_ if c.kind == "continuous"]
    assert [continuous[p.target] for p in products] == ["total"]
    X_new, y_new = aug.sample({0: 2000, 1: 2000})
    y_new = np.asarray(y_new)
    for k in (0, 1):
        real_sd = np.std(_log_ratio(X[y == k]))
        syn_sd = np.std(_log_ratio(X_new[y_new == k]))
        # twenty steps teach the generator no relation at all (about 0.7 without this)
        assert syn_sd == pytest.approx(real_sd, rel=0.35)
    assert (X_new["total"] == np.round(X_new["total"], 2)).all()  # still on its grid


def _same_after_load(aug: GANAugmenter, path) -> None:
    """The relations, and the samples of one seed, survive a save and a load."""
    aug.save(path)
    loaded = GANAugmenter.load(path)
    assert loaded.model_.products.products == aug.model_.products.products
    a, _ = aug.sample({1: 300}, random_state=5)
    b, _ = loaded.sample({1: 300}, random_state=5)
    pd.testing.assert_frame_equal(a, b)


def test_products_survive_save_and_load(fitted, tmp_path):
    _same_after_load(fitted[0], tmp_path / "model")


def test_a_table_without_products_has_none_saved_or_loaded(tmp_path):
    X, y = _bill()
    X = X.drop(columns="total")
    aug = GANAugmenter(**SMALL).fit(X, y)
    assert aug.model_.products is None
    aug.save(tmp_path / "model")
    assert GANAugmenter.load(tmp_path / "model").model_.products is None


def _tenure(seed: int = 0, n0: int = 300, n1: int = 200) -> tuple[pd.DataFrame, np.ndarray]:
    """Years in role uniform below years at the company, which the minority has fewer of."""
    rng = np.random.default_rng(seed)
    y = np.array([0] * n0 + [1] * n1)
    at_company = np.floor(rng.random(len(y)) * np.where(y == 1, 12, 30) + 0.5)
    frame = pd.DataFrame({"years_at_company": at_company, "age": rng.normal(40, 9, len(y))})
    frame["years_in_role"] = np.floor(rng.random(len(y)) * (at_company + 1))
    return frame, y


def test_find_shares_takes_lone_orders_and_leaves_chains_and_products_alone():
    values = np.column_stack([np.arange(30.0), np.arange(30.0) + 1, np.arange(30.0) + 2])
    names = ["a", "b", "c"]
    lone = find_shares(values, names, [Order("a", "b")], [])
    assert lone == [Share(0, 1, 0.0)]
    assert find_shares(values, names, [Order("a", "b"), Order("b", "c")], []) == []
    product = Product(1, (2,), (0.0, 1.0))
    assert find_shares(values, names, [Order("a", "b")], [product]) == []


def test_shares_keep_the_lower_columns_distribution_below_its_bound(tmp_path):
    X, y = _tenure()
    aug = GANAugmenter(**SMALL, realism_filter=False).fit(X, y)
    assert "years_in_role <= years_at_company" in {str(r) for r in aug.rules_}
    assert any(isinstance(p, Share) for p in aug.model_.products.products)
    X_new, y_new = aug.sample({0: 2000, 1: 2000})
    y_new = np.asarray(y_new)
    assert (X_new["years_in_role"] <= X_new["years_at_company"]).all()
    for k in (0, 1):
        real, syn = X[y == k], X_new[y_new == k]
        real_share = (real["years_in_role"] / real["years_at_company"].clip(lower=1)).mean()
        syn_share = (syn["years_in_role"] / syn["years_at_company"].clip(lower=1)).mean()
        assert syn_share == pytest.approx(real_share, abs=0.06)
        assert syn["years_in_role"].mean() == pytest.approx(real["years_in_role"].mean(), rel=0.15)
    _same_after_load(aug, tmp_path / "model")
