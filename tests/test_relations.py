"""Noisy relations between continuous columns (products, additive curves, order shares):
found at fit, kept in synthetic rows, saved with the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ganaug import GANAugmenter
from ganaug.sampling.additive import Additive, find_additive
from ganaug.sampling.monotone import Monotone, find_monotone
from ganaug.sampling.products import Product, Share, find_products, find_shares
from ganaug.sampling.relations import RelationMatcher, find_class_relations, find_relations
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
    matcher = RelationMatcher([product]).fit(real, y, synthetic, y, 2)
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


def _fit_small(X: pd.DataFrame, y: np.ndarray) -> tuple[GANAugmenter, pd.DataFrame, np.ndarray]:
    return GANAugmenter(**SMALL).fit(X, y), X, y


@pytest.fixture(scope="module")
def fitted():
    return _fit_small(*_bill())


def test_synthetic_rows_keep_each_class_spread_around_the_product(fitted):
    aug, X, y = fitted
    products = aug.model_.products.relations
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
    assert loaded.model_.products.relations == aug.model_.products.relations
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
    assert any(isinstance(p, Share) for p in aug.model_.products.relations)
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


def _premium(age: np.ndarray, value: np.ndarray) -> np.ndarray:
    """A surcharge for drivers under 30 on top of a share of the value: a bend at 30."""
    return 400 + 8 * np.maximum(0, 30 - age) + value / 100


def _claims(seed: int = 0, n0: int = 400, n1: int = 120) -> tuple[pd.DataFrame, np.ndarray]:
    """Premiums in steps of 5 from age and value; the minority drives younger, dearer cars."""
    rng = np.random.default_rng(seed)
    y = np.array([0] * n0 + [1] * n1)
    age = np.clip(np.round(rng.normal(np.where(y == 1, 33, 45), 11)), 18, 85)
    value = np.round(rng.lognormal(np.where(y == 1, 10.4, 10.1), 0.35), 2)
    frame = pd.DataFrame({"driver_age": age, "vehicle_value": value})
    frame["premium"] = np.round(_premium(age, value) / 5) * 5
    frame["mileage"] = np.round(rng.gamma(3, 4000, len(y)))
    frame["region"] = rng.choice(["north", "south"], len(y))
    return frame, y


def _all(n: int) -> np.ndarray:
    return np.ones(n, dtype=bool)


def test_find_additive_finds_a_bent_sum_of_two_columns():
    X, _ = _claims()
    values = X[["driver_age", "vehicle_value", "premium", "mileage"]].to_numpy(float)
    found = find_additive(values, _all(4), _all(4))
    assert len(found) == 1
    relation = found[0]
    # premium from age and value, or value from premium and age: the same joint law
    assert {relation.target, *relation.factors} == {0, 1, 2} and 0 in relation.factors
    residual = np.std(relation.residual(values))
    assert residual < 0.04 * np.std(values[:, relation.target])
    design = np.column_stack([np.ones(len(values)), values[:, list(relation.factors)]])
    coef, *_ = np.linalg.lstsq(design, values[:, relation.target], rcond=None)
    assert residual < 0.6 * np.std(values[:, relation.target] - design @ coef)  # the bend counts


def test_find_additive_leaves_loose_and_excluded_columns_alone():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 500), rng.normal(0, 1, 500)
    loose = a + b + rng.normal(0, 0.6, 500)  # R^2 about 0.85
    values = np.column_stack([a, b, loose])
    assert find_additive(values, _all(3), _all(3)) == []
    tight = np.column_stack([a, b, np.abs(a) + b + rng.normal(0, 0.05, 500)])
    assert [r.target for r in find_additive(tight, _all(3), _all(3))] in ([2], [0], [1])
    only_first = np.array([True, False, False])
    assert find_additive(tight, only_first, _all(3)) == []  # |a| is no function of b and c
    assert find_additive(tight, _all(3), np.array([True, False, False])) == []


def test_find_additive_skips_missing_rows_and_never_chains():
    rng = np.random.default_rng(2)
    a = rng.uniform(0, 10, 600)
    b = 3 * a + rng.normal(0, 0.1, 600)
    c = np.sqrt(b + 1) + rng.normal(0, 0.01, 600)  # a function of b, hence of a
    values = np.column_stack([a, b, c])
    values[rng.random(600) < 0.2, 0] = np.nan
    found = find_additive(values, _all(3), _all(3))
    targets = {r.target for r in found}
    assert found and all(not targets.intersection(r.factors) for r in found)


def test_relations_give_products_their_columns_and_shares_the_rest():
    rng = np.random.default_rng(3)
    a, b = rng.uniform(1, 50, 400), rng.uniform(10, 90, 400)
    low = np.floor(rng.random(400) * a)
    bent = np.abs(b - 50) + rng.normal(0, 0.5, 400)  # no power law: a V in b
    values = np.column_stack([a, b, a * b * rng.lognormal(0, 0.02, 400), bent, low])
    names = ["a", "b", "ab", "bent", "low"]
    found = find_relations(values, names, [Order("low", "a")])
    kinds = {names[r.target]: type(r).__name__ for r in found}
    assert kinds["ab"] == "Product" and kinds["bent"] == "Additive"
    product = next(r for r in found if isinstance(r, Product))
    additive = [r for r in found if isinstance(r, Additive)]
    # an additive relation neither recomputes a product's column nor reads its target
    assert additive and all(
        r.target not in (product.target, *product.factors) and product.target not in r.factors
        for r in additive
    )
    assert "low" not in kinds  # its bound a is a product's factor: left to the repair


@pytest.fixture(scope="module")
def fitted_claims():
    return _fit_small(*_claims())


def test_synthetic_rows_keep_each_class_near_the_relation(fitted_claims):
    aug, X, y = fitted_claims
    relations = aug.model_.products.relations
    assert [type(r) for r in relations] == [Additive]
    X_new, y_new = aug.sample({0: 2000, 1: 2000})
    y_new = np.asarray(y_new)
    for k in (0, 1):
        real = X[y == k]
        syn = X_new[y_new == k]
        real_gap = np.std(real["premium"] - _premium(real["driver_age"], real["vehicle_value"]))
        syn_gap = np.std(syn["premium"] - _premium(syn["driver_age"], syn["vehicle_value"]))
        # twenty steps teach the generator no relation: 55 and 105 without this
        assert syn_gap < 3 * real_gap
    assert (X_new["premium"] % 5 == 0).all()  # still on its grid


def test_additive_relations_survive_save_and_load(fitted_claims, tmp_path):
    _same_after_load(fitted_claims[0], tmp_path / "model")


def _applications(seed: int = 0, n0: int = 400, n1: int = 80) -> tuple[pd.DataFrame, np.ndarray]:
    """Card holders (class 1) spend a share of their income on the card, ``share =
    12 * spent / income``; for the others ``share`` is a small number unrelated to
    ``spent``, so the pooled rows hold no product. ``fee`` is ``months x rate`` in all rows."""
    rng = np.random.default_rng(seed)
    y = np.array([0] * n0 + [1] * n1)
    n, holder = len(y), y == 1
    income = rng.lognormal(3.3, 0.4, n)
    spent = rng.lognormal(np.where(holder, 5.0, 3.0), 0.6, n)
    share = np.where(holder, 12 * spent / income * rng.lognormal(0, 0.05, n), rng.uniform(0, 1, n))
    months, rate = rng.uniform(1, 60, n), rng.uniform(5, 50, n)
    frame = pd.DataFrame(
        {
            "income": income,
            "spent": spent,
            "share": share,
            "months": months,
            "rate": rate,
            "fee": months * rate * rng.lognormal(0, 0.03, n),
        }
    )
    return frame, y


def test_find_class_relations_keeps_a_relation_of_one_class_to_that_class():
    frame, y = _applications()
    values, names = frame.to_numpy(), list(frame.columns)
    assert [names[r.target] for r in find_relations(values, names, [])] == ["fee"]
    relations, classes = find_class_relations(values, y, names, [])
    found = {(names[r.target], k) for r, k in zip(relations, classes)}
    assert ("fee", None) in found  # pooled first
    assert any(target in ("share", "spent", "income") and k == (1,) for target, k in found)
    pooled_columns = {
        c for r, k in zip(relations, classes) if k is None for c in (r.target, *r.factors)
    }
    for r, k in zip(relations, classes):
        if k is not None:  # a class relation never touches a pooled relation's columns
            assert pooled_columns.isdisjoint((r.target, *r.factors))
            assert not isinstance(r, Share)


def test_a_class_relation_rebuilds_only_its_class_and_survives_save_and_load(tmp_path):
    frame, y = _applications()
    values, names = frame.to_numpy(), list(frame.columns)
    relations, classes = find_class_relations(values, y, names, [])
    rng = np.random.default_rng(1)
    # the generator's rows: right marginals per class, no relation between the columns
    synthetic = values.copy()
    for k in (0, 1):
        rows = np.flatnonzero(y == k)
        synthetic[rows] = values[
            rng.permuted(np.tile(rows, (values.shape[1], 1)), axis=1).T, np.arange(values.shape[1])
        ]
    matcher = RelationMatcher(relations, classes).fit(values, y, synthetic, y, 2)
    out = matcher.apply(synthetic, y, rng.random((len(y), len(relations))))
    mine = [i for i, k in enumerate(classes) if k == (1,)]
    for i in mine:
        target = relations[i].target
        assert np.array_equal(out[y == 0, target], synthetic[y == 0, target])
        real_sd = np.std(relations[i].residual(values[y == 1]))
        assert np.std(relations[i].residual(out[y == 1])) == pytest.approx(real_sd, rel=0.3)
    configs, arrays = matcher.get_state()
    loaded = RelationMatcher.from_state(configs, arrays)
    assert loaded.classes == classes and loaded.relations == relations
    ties = rng.random((len(y), len(relations)))
    assert np.array_equal(loaded.apply(synthetic, y, ties), matcher.apply(synthetic, y, ties))
    # relations saved before class relations have no "classes": they hold in every class
    old = RelationMatcher.from_state(
        [c for c, k in zip(configs, classes) if k is None],
        {k: v[:, [i for i, c in enumerate(classes) if c is None]] for k, v in arrays.items()},
    )
    assert old.classes == [None] * len(old.relations)


def test_a_fitted_table_keeps_its_class_relation(tmp_path):
    frame, y = _applications()
    aug = GANAugmenter(**SMALL).fit(frame, y)
    classes = aug.model_.products.classes
    assert (1,) in classes and None in classes
    _same_after_load(aug, tmp_path / "model")


def _wages(seed: int = 0, n0: int = 400, n1: int = 80) -> tuple[pd.DataFrame, np.ndarray]:
    """A log wage and the wage: ``wage == exp(logwage)``; a fifth earn a round salary."""
    rng = np.random.default_rng(seed)
    y = np.array([0] * n0 + [1] * n1)
    salary = np.round(rng.lognormal(np.log(45_000) + 0.2 * y, 0.35), 2)
    salary = np.where(rng.random(len(y)) < 0.2, rng.choice([30e3, 40e3, 60e3], len(y)), salary)
    logwage = np.log10(salary)
    frame = pd.DataFrame(
        {"age": np.round(rng.normal(40, 10, len(y))), "logwage": logwage, "wage": np.exp(logwage)}
    )
    return frame, y


def test_find_monotone_finds_an_exact_transform_and_nothing_looser():
    frame, _ = _wages()
    values = frame.to_numpy()
    (found,) = find_monotone(values, np.ones(3, dtype=bool))
    assert (found.target, found.factor) == (2, 1)  # the later column is the target
    np.testing.assert_array_equal(found.predicted(values), values[:, 2])  # exact at the knots
    rng = np.random.default_rng(1)
    noisy = values.copy()
    noisy[:, 2] *= rng.lognormal(0, 0.01, len(noisy))  # close, but not a function
    assert find_monotone(noisy, np.ones(3, dtype=bool)) == []
    x = rng.uniform(-3, 3, 300)
    assert find_monotone(np.column_stack([x, x**2]), np.ones(2, dtype=bool)) == []  # not monotone
    x = rng.uniform(1, 9, 300)
    assert find_monotone(np.column_stack([x, 3 / x]), np.ones(2, dtype=bool)) == []  # a product's
    relations = find_relations(np.column_stack([x, 3 / x]), ["a", "b"], [])
    assert [type(r) for r in relations] == [Product]


def test_synthetic_rows_keep_an_exact_transform_and_it_survives_save_and_load(tmp_path):
    X, y = _wages()
    aug = GANAugmenter(**SMALL).fit(X, y)
    (relation,) = aug.model_.products.relations
    assert isinstance(relation, Monotone)
    X_new, _ = aug.sample({0: 500, 1: 500})
    ratio = X_new["wage"] / np.exp(X_new["logwage"])
    assert np.abs(ratio - 1).max() < 1e-3  # linear between neighbouring training values
    seen = X_new["logwage"].isin(X["logwage"])
    assert seen.mean() > 0.1  # the round salaries, as point masses
    np.testing.assert_allclose(
        X_new.loc[seen, "wage"], np.exp(X_new.loc[seen, "logwage"]), rtol=1e-12
    )
    _same_after_load(aug, tmp_path / "model")
