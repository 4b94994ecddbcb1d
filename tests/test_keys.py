"""Keys: a column whose every value fixes other columns (a professor's ID her age) is found
beyond chance, and synthetic rows with a training value of the key get its fixed values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ganaug import GANAugmenter
from ganaug.sampling.entities import KeyTable, fit_key_tables
from ganaug.sampling.key_discovery import find_keys


def _courses(rng: np.random.Generator, n_profs: int = 60) -> tuple[pd.DataFrame, np.ndarray]:
    """Courses of ``n_profs`` professors (2-6 each): the ID fixes age, beauty and rank."""
    age = rng.integers(30, 70, n_profs)
    beauty = rng.normal(size=n_profs).round(4)
    rank = rng.choice(["lecturer", "assistant", "full"], n_profs)
    per = rng.integers(2, 7, n_profs)
    prof = np.repeat(np.arange(1, n_profs + 1), per)
    n = len(prof)
    frame = pd.DataFrame(
        {
            "prof": prof,
            "age": age[prof - 1],
            "beauty": beauty[prof - 1],
            "rank": rank[prof - 1],
            "eval": rng.normal(4.0, 0.5, n).round(1),
            "students": rng.integers(5, 100, n),
        }
    )
    y = (rng.random(n) < 0.25).astype(int)  # the class varies within a professor's courses
    return frame, y


def test_an_id_that_fixes_columns_is_found_and_measures_are_not():
    frame, y = _courses(np.random.default_rng(0))
    assert find_keys(frame) == [("prof", ["age", "beauty", "rank"], False)]
    # the class varies within a professor's courses: the ID does not fix it
    assert find_keys(frame, y=y) == [("prof", ["age", "beauty", "rank"], False)]
    gender = frame["prof"].to_numpy() % 2
    assert find_keys(frame, y=gender) == [("prof", ["age", "beauty", "rank"], True)]


def test_columns_that_agree_only_by_chance_or_in_copied_rows_make_no_key():
    rng = np.random.default_rng(1)
    n = 300
    # one row per value: agreeing within groups of one row is no evidence
    unique = pd.DataFrame({"id": np.arange(n), "x": rng.normal(size=n)})
    assert find_keys(unique) == []
    # a value repeated only in copies of a whole row is no evidence either
    rows = pd.DataFrame({"id": np.arange(100), "x": rng.normal(size=100)})
    copied = pd.concat([rows, rows.iloc[:60]], ignore_index=True)
    assert find_keys(copied) == []
    # a common flag that every pair of rows happens to share: chance (0.14), not a key
    flag = np.repeat(np.r_[np.ones(7, int), 0], 2)
    pairs = pd.DataFrame({"id": np.repeat(np.arange(8), 2), "flag": flag, "v": np.arange(16)})
    assert find_keys(pairs) == []
    # the same agreement over 40 pairs of a rarer flag is past chance
    flag = np.repeat(np.arange(40) % 4, 2)
    many = pd.DataFrame({"id": np.repeat(np.arange(40), 2), "flag": flag, "v": np.arange(80)})
    assert find_keys(many) == [("id", ["flag"], False)]


def test_a_key_with_twenty_rows_behind_each_value_is_left_to_the_value_rules():
    rng = np.random.default_rng(2)
    group = np.repeat(np.arange(5), 25)
    frame = pd.DataFrame({"group": group, "level": group * 10, "v": rng.normal(size=125)})
    assert find_keys(frame) == []
    assert find_keys(frame, min_support=30) == [("group", ["level"], False)]


def test_rows_with_a_training_key_get_its_values_and_others_keep_theirs():
    frame, y = _courses(np.random.default_rng(3))
    table = KeyTable.fit(frame, y, "prof", ["age", "beauty", "rank"])
    synthetic = pd.DataFrame(
        {
            "prof": [5, 999, 5, 12],
            "age": [1, 2, 3, 4],
            "beauty": [0.5, 0.5, 0.5, 0.5],
            "rank": ["x", "y", "z", "w"],
            "eval": [4.0, 4.1, 4.2, 4.3],
            "students": [10, 11, 12, 13],
        }
    )
    before = synthetic.copy()
    out = table.apply(synthetic, np.array([0, 1, 1, 0]), np.random.default_rng(0))
    pd.testing.assert_frame_equal(synthetic, before)  # the caller's frame is not changed
    truth = frame.drop_duplicates("prof").set_index("prof")
    for row in (0, 2, 3):
        assert out.loc[row, ["age", "beauty", "rank"]].tolist() == (
            truth.loc[out.loc[row, "prof"], ["age", "beauty", "rank"]].tolist()
        )
    assert out.loc[1].tolist() == synthetic.loc[1].tolist()  # a new professor keeps its values
    assert out[["eval", "students", "prof"]].equals(synthetic[["eval", "students", "prof"]])
    assert out.dtypes.tolist() == synthetic.dtypes.tolist()


def test_a_row_given_another_class_key_gets_a_key_of_its_own_class():
    frame, _ = _courses(np.random.default_rng(5))
    gender = frame["prof"].to_numpy() % 2  # each professor teaches as one gender
    (table,) = fit_key_tables(frame, gender).tables
    truth = frame.drop_duplicates("prof").set_index("prof")
    synthetic = frame.iloc[[0] * 400].reset_index(drop=True).assign(prof=3, age=1, rank="x")
    y = np.r_[1, np.zeros(399, dtype=int)]  # professor 3 teaches as class 1
    out = table.apply(synthetic, y, np.random.default_rng(0))
    assert out.loc[0, "prof"] == 3 and out.loc[0, "age"] == truth.loc[3, "age"]
    moved = out.iloc[1:]
    assert (moved["prof"] % 2 == 0).all()  # class 0's professors, drawn ...
    assert moved["prof"].nunique() > 20  # ... among many of them, not the nearest one
    fixed = ["age", "beauty", "rank"]
    np.testing.assert_array_equal(moved[fixed].to_numpy(), truth.loc[moved["prof"], fixed])
    # in proportion to their training rows
    rows = frame.loc[gender == 0, "prof"].value_counts(normalize=True)
    drawn = moved["prof"].value_counts(normalize=True).reindex(rows.index, fill_value=0)
    assert np.corrcoef(rows, drawn)[0, 1] > 0.3


def test_a_missing_key_is_no_entity_and_missing_fixed_values_are_kept():
    frame = pd.DataFrame(
        {
            "code": ["a", "a", "b", "b", "c", "c", None, None] * 3,
            "price": [1.5, 1.5, np.nan, np.nan, 3.0, 3.0, 7.0, 8.0] * 3,
            "qty": np.arange(24),
        }
    )
    tables = fit_key_tables(frame, np.zeros(24, dtype=int), [])
    assert [(t.key, t.columns) for t in tables.tables] == [("code", ["price"])]
    synthetic = pd.DataFrame({"code": ["b", None, "a"], "price": [9.0, 9.0, 9.0], "qty": 1})
    out = tables.apply(synthetic, np.zeros(3, dtype=int), np.random.default_rng(0))
    assert np.isnan(out["price"][0]) and out["price"][1] == 9.0 and out["price"][2] == 1.5


def test_synthetic_courses_keep_each_professors_values_and_the_tables_are_saved(tmp_path):
    frame, y = _courses(np.random.default_rng(4))
    aug = GANAugmenter(max_steps=2, hidden_units=(16,), latent_dim=4, n_critic=1, random_state=0)
    aug.fit(frame, y)
    rows, _ = aug.sample({0: 300, 1: 300}, random_state=1)
    truth = frame.drop_duplicates("prof").set_index("prof")
    known = rows["prof"].isin(truth.index).to_numpy()
    assert known.mean() > 0.5  # whole numbers in the IDs' range: most are training IDs
    fixed = ["age", "beauty", "rank"]
    expected = truth.reindex(rows["prof"][known])[fixed].to_numpy()
    np.testing.assert_array_equal(rows[fixed].to_numpy()[known], expected)
    aug.save(tmp_path / "model")
    loaded = GANAugmenter.load(tmp_path / "model")
    pd.testing.assert_frame_equal(
        loaded.sample({1: 200}, random_state=4)[0], aug.sample({1: 200}, random_state=4)[0]
    )
    off = GANAugmenter(max_steps=2, hidden_units=(16,), latent_dim=4, discover_rules=False)
    assert off.fit(frame, y).model_.keys is None
