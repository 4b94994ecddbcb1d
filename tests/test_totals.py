"""Parts of a whole (columns whose sum barely varies): found at fit, kept in synthetic
rows, saved with the model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ganaug import GANAugmenter
from ganaug.sampling.relations import find_class_relations
from ganaug.sampling.totals import Total, find_totals

SMALL = dict(max_steps=20, hidden_units=(32,), latent_dim=8, n_critic=1, random_state=0)


def _glass(seed: int = 0, n0: int = 300, n1: int = 40) -> tuple[pd.DataFrame, np.ndarray]:
    """Four oxides' weight percentages adding up to 99.5-100.1, one often exactly 0,
    beside a refractive index (signed) and a count that has nothing to do with them."""
    rng = np.random.default_rng(seed)
    y = np.array([0] * n0 + [1] * n1)
    n = len(y)
    alpha = np.where(y[:, None] == 1, [2.0, 12, 60, 8], [3.0, 10, 60, 6])
    shares = rng.gamma(alpha)  # a Dirichlet draw per row, with its class's parameters
    shares[rng.random(n) < 0.4, 0] = 0.0  # no magnesium in 40% of the fragments
    total = rng.uniform(99.5, 100.1, n)
    oxides = np.round(shares / shares.sum(axis=1, keepdims=True) * total[:, None], 2)
    frame = pd.DataFrame(oxides, columns=["Mg", "Na", "Si", "Ca"])
    frame["RI"] = np.round(rng.normal(0, 2, n), 2)
    frame["pieces"] = rng.poisson(30, n).astype(float)
    return frame, y


def _values(frame: pd.DataFrame) -> np.ndarray:
    return frame.to_numpy(dtype=np.float64)


def test_find_totals_finds_the_parts_and_nothing_else():
    frame, _ = _glass()
    found = find_totals(_values(frame), np.ones(frame.shape[1], dtype=bool))
    assert [t.parts for t in found] == [(0, 1, 2, 3)]
    total = found[0]
    sums = frame[["Mg", "Na", "Si", "Ca"]].sum(axis=1)
    assert total.range == (sums.min(), sums.max())
    assert total.lowest[0] == 0.0
    # the parts' variances decide how a gap is shared: silica's is the largest here
    assert np.argmax(total.weights) == 2


def test_a_part_that_tells_the_classes_apart_is_weighted_by_its_spread_within_them():
    rng = np.random.default_rng(2)
    y = np.repeat([0, 1], 200)
    a = np.where(y == 1, 40.0, 10.0) + rng.normal(0, 0.5, 400)  # steady within a class
    b = rng.uniform(10, 30, 400)
    values = np.column_stack([a, b, 100.0 - a - b + rng.normal(0, 0.05, 400)])
    (total,) = find_totals(values, np.ones(3, dtype=bool))
    assert total.weights[0] > total.weights[1]  # over all rows: 225 against 33
    within = total.within_classes(values, y)
    assert within.weights[0] < 0.02 * within.weights[1]  # 0.25 against 33
    assert within.parts == total.parts and within.totals == total.totals


def test_find_totals_leaves_loose_dummy_and_excluded_columns_alone():
    rng = np.random.default_rng(1)
    loose = rng.gamma(2.0, 5.0, (300, 5))  # independent amounts: their sum varies freely
    assert find_totals(loose, np.ones(5, dtype=bool)) == []
    dummies = np.eye(3)[rng.integers(3, size=300)]  # add up to 1, but are one category
    assert find_totals(dummies, np.ones(3, dtype=bool)) == []
    frame, _ = _glass()
    allowed = np.ones(frame.shape[1], dtype=bool)
    allowed[2] = False  # silica taken by another relation: three parts left do not add up
    assert find_totals(_values(frame), allowed) == []


def test_rebalance_reaches_the_total_keeps_zeros_and_ranges():
    total = Total(
        parts=(0, 1, 2),
        weights=(1.0, 1.0, 2.0),
        lowest=(0.0, 0.0, 0.0),
        highest=(10.0, 50.0, 90.0),
        totals=tuple(np.linspace(99.0, 101.0, 21)),
    )
    values = np.array([[0.0, 20.0, 84.0, 7.0], [5.0, 10.0, 80.0, 7.0], [9.0, 40.0, 89.0, 7.0]])
    wanted = np.array([100.0, 100.0, np.nan])
    out = values.copy()
    total.rebalance(out, wanted, np.ones(3, dtype=bool), np.array([0.0, 0.0, 0.5]))
    np.testing.assert_allclose(out[:2, :3].sum(axis=1), 100.0)
    assert out[0, 0] == 0.0  # a structural zero stays zero
    np.testing.assert_allclose(out[0, 1:3], [20.0 - 4 / 3, 84.0 - 8 / 3])  # 1 : 2 by weight
    np.testing.assert_allclose(out[2, :3].sum(), 100.0)  # NaN: the pooled median (draw 0.5)
    assert out[2, 2] <= 90.0 and (out[:, 3] == 7.0).all()  # ranges kept, others untouched
    out = values.copy()
    total.rebalance(out, np.full(3, 120.0), np.array([True, False, True]), np.zeros(3))
    np.testing.assert_allclose(out[0, :3].sum(), 101.0)  # kept within the real totals
    np.testing.assert_array_equal(out[1], values[1])  # rows not asked for are left


def test_synthetic_rows_add_up_like_the_real_ones_and_survive_save_and_load(tmp_path):
    frame, y = _glass()
    relations, _ = find_class_relations(_values(frame), y, list(frame.columns), [])
    assert [r for r in relations if isinstance(r, Total)]
    aug = GANAugmenter(**SMALL).fit(frame, y)
    assert any(isinstance(r, Total) for r in aug.model_.products.relations)
    X_new, y_new = aug.sample({0: 300, 1: 300}, random_state=3)
    sums = X_new[["Mg", "Na", "Si", "Ca"]].sum(axis=1).to_numpy()
    real = frame[["Mg", "Na", "Si", "Ca"]].sum(axis=1)
    # rounding the four parts to 0.01 can move a total by 0.02 at most
    inside = (sums >= real.min() - 0.021) & (sums <= real.max() + 0.021)
    assert inside.mean() >= 0.97
    for k in (0, 1):  # each class's share of magnesium-free fragments is kept
        real_zero = (frame["Mg"][y == k] == 0).mean()
        assert abs((X_new["Mg"][y_new == k] == 0).mean() - real_zero) < 0.12
    # a 20-step generator alone leaves the sums loose: the relation does the work
    raw = GANAugmenter(**SMALL, moment_matching=False).fit(frame, y)
    X_raw, _ = raw.sample({0: 300, 1: 300}, random_state=3)
    loose = X_raw[["Mg", "Na", "Si", "Ca"]].sum(axis=1).to_numpy()
    assert ((loose >= real.min()) & (loose <= real.max())).mean() < 0.5
    aug.save(tmp_path / "model")
    loaded = GANAugmenter.load(tmp_path / "model")
    assert loaded.model_.products.relations == aug.model_.products.relations
    pd.testing.assert_frame_equal(
        loaded.sample({1: 200}, random_state=5)[0], aug.sample({1: 200}, random_state=5)[0]
    )
