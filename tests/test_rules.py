"""Rules found in the training table, given by the user, and kept by every synthetic row."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

from ganaug import GANAugmenter
from ganaug.sampling.rule_checks import fit_rules
from ganaug.sampling.rule_discovery import discover_rules
from ganaug.sampling.rule_repair import enforce_rules
from ganaug.sampling.rules import (
    Implication,
    Multiple,
    Offset,
    Order,
    RangeImplication,
    Sum,
    broken_rows,
    parse_rule,
)

SERVICES = ["online_security", "tech_support", "streaming_tv"]


def telecom(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A table that carries one rule of each kind, and an unrelated noise column."""
    rng = np.random.default_rng(seed)
    internet = rng.choice(["DSL", "Fiber optic", "No"], n, p=[0.35, 0.4, 0.25])
    frame = pd.DataFrame({"internet": internet})
    for name in SERVICES:
        frame[name] = np.where(
            internet == "No", "No internet service", rng.choice(["Yes", "No"], n)
        )
    minutes = rng.integers(0, 600, n)
    company = rng.integers(0, 40, n)
    a, b = rng.normal(50, 10, n).round(1), rng.normal(20, 5, n).round(1)
    deposit = np.round(rng.gamma(2, 300, n), 2)
    fee, tax, tip = (np.round(rng.gamma(k, 10, n), 2) for k in (5, 1, 2))
    calls = rng.poisson(0.8, n)
    frame = frame.assign(
        minutes=minutes,
        charge=np.round(0.17 * minutes, 2),
        years_at_company=company,
        years_in_role=np.minimum(np.floor(rng.uniform(0, 1, n) * (company + 1)), company).astype(
            np.int64
        ),
        deposit=deposit,
        balance=np.round(deposit + 100, 2),
        a=a,
        b=b,
        total=np.round(a + b, 1),
        fee=fee,
        tax=tax,
        tip=tip,
        bill=np.round(fee + tax + tip, 2),
        calls=calls,
        call_cost=np.where(calls == 0, 0.0, np.round(rng.gamma(2, 5, n), 2)),
        noise=rng.normal(size=n),
        contract=pd.Categorical(rng.choice(["M", "1Y", "2Y"], n)),
    )
    y = np.where(rng.uniform(size=n) < 0.25, "churn", "stay")
    return frame, y


PLANTED = {
    "internet == 'No' -> online_security == 'No internet service'",
    "charge == 0.17 * minutes",
    "balance == deposit + 100",
    "total == a + b",
    "bill == fee + tax + tip",
    "calls == 0 -> call_cost == 0",
    "years_in_role <= years_at_company",
}


def test_discovery_finds_a_planted_rule_of_each_kind():
    frame, _ = telecom()
    found = {str(r) for r in discover_rules(frame)}
    assert PLANTED <= found
    assert not any("noise" in text or "contract" in text for text in found)


@pytest.mark.parametrize("places", [2, 0])
def test_discovery_finds_a_sum_of_many_columns_beside_missing_values(places):
    rng = np.random.default_rng(4)
    n = 600
    parts = {f"part{k}": np.round(rng.gamma(2, 40 * (k + 1), n), 2) for k in range(5)}
    frame = pd.DataFrame(parts)
    frame["income"] = np.where(rng.uniform(size=n) < 0.2, np.nan, rng.normal(100, 10, n))
    frame["total"] = np.round(sum(parts.values()), places)
    frame.loc[::7, "part3"] = np.nan  # a missing part leaves the row's total free
    frame.loc[frame["part3"].isna(), "total"] += 1000
    assert [str(r) for r in discover_rules(frame)] == [
        "total == part0 + part1 + part2 + part3 + part4"
    ]


def test_discovery_finds_implications_between_point_masses_of_numbers():
    rng = np.random.default_rng(5)
    n = 1000
    claims = rng.poisson(0.6, n).astype(float)
    frame = pd.DataFrame(
        {
            "claims": claims,
            "amount": np.where(claims == 0, 0.0, np.round(rng.gamma(2, 500, n), 2)),
            "age": rng.integers(18, 80, n),
            "value": np.round(rng.lognormal(9, 1, n), 2),
        }
    )
    found = [str(r) for r in discover_rules(frame)]
    # both ways, the numbers as they are written; nothing on the age or the value
    assert found[:2] == ["claims == 0 -> amount == 0", "amount == 0 -> claims == 0"]
    assert found[2:] == ["claims <= amount"]
    assert all(parse_rule(text).holds(frame).all() for text in found)


def schooling(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Years of schooling with a college flag and an age band computed from numbers."""
    rng = np.random.default_rng(seed)
    education = rng.integers(5, 18, n).astype(float)
    age = rng.integers(18, 66, n)
    band = np.select([age < 30, age < 45], ["18-29", "30-44"], "45+")
    return pd.DataFrame(
        {
            "education": education,
            "college": np.where(education >= 13, "yes", "no"),
            "age": age,
            "band": band,
            "income": np.round(rng.lognormal(3, 0.4, n), 2),
            "city": rng.choice(["a", "b", "c"], n),
        }
    )


def test_discovery_finds_the_flags_and_bands_a_number_sets():
    found = [str(r) for r in discover_rules(schooling())]
    assert sorted(found) == sorted(
        [
            "education <= 12 -> college == 'no'",
            "education >= 13 -> college == 'yes'",
            "age <= 29 -> band == '18-29'",
            "30 <= age <= 44 -> band == '30-44'",
            "age >= 45 -> band == '45+'",
        ]
    )
    # a value of the band with its own 20 rows is no longer listed on its own
    assert not any("education == 13" in text for text in found)


def test_discovery_finds_no_range_in_a_noisy_relation():
    rng = np.random.default_rng(2)
    n = 2000
    x = rng.normal(size=n)
    # "yes" grows likelier with x but is far from certain even in the tails (at most
    # 0.97): its pure stretches, the longest at the ends, are too short to be a rule
    flag = np.where(rng.random(n) < 1 / (1 + np.exp(-x)), "yes", "no")
    frame = pd.DataFrame({"x": x, "flag": flag, "count": rng.integers(0, 30, n)})
    assert discover_rules(frame) == []


def test_range_repair_sets_the_flag_and_keeps_dtypes():
    frame = schooling(50)
    rules = discover_rules(schooling())
    broken = frame.copy()
    broken["college"] = broken["college"].map({"yes": "no", "no": "yes"})
    broken["band"] = "45+"
    fixed = enforce_rules(broken, rules, {}, np.zeros(len(frame), dtype=int))
    assert not broken_rows(fixed, rules).any()
    pd.testing.assert_frame_equal(fixed, frame)


def test_a_range_sets_its_flag_before_the_implications_that_follow_it():
    # the charge decides the internet service; the service column goes with it both ways
    rng = np.random.default_rng(0)
    n = 600
    internet = rng.choice(["No", "DSL", "Fiber"], n)
    charge = np.round(np.select([internet == "No", internet == "DSL"], [20.0, 50.0], 80.0)
                      + rng.uniform(0, 9, n), 2)  # fmt: skip
    service = np.where(internet == "No", "No internet service", rng.choice(["Yes", "No"], n))
    frame = pd.DataFrame({"internet": internet, "service": service, "charge": charge})
    y = np.zeros(n, dtype=int)
    rules, facts = fit_rules(frame, [], None, True, y)
    assert "charge >= 80.08 -> internet == 'Fiber'" in {str(r) for r in rules}
    # a generator's row: a fiber charge beside a row that says there is no internet
    broken = pd.DataFrame({"internet": ["No", "DSL"], "service": ["No internet service", "No"]})
    broken["charge"] = [85.0, 52.0]
    fixed = enforce_rules(broken, rules, facts, np.zeros(2, dtype=int))
    assert fixed.loc[0, "internet"] == "Fiber"
    assert fixed.loc[0, "service"] in ("Yes", "No")
    assert fixed.loc[0, "charge"] == 85.0  # repaired, not replaced by a copy of the other row
    assert not broken_rows(fixed, rules).any()


def test_fit_keeps_range_rules_in_every_synthetic_row(tmp_path):
    frame = schooling(400)
    y = np.where(np.random.default_rng(1).random(400) < 0.2, "a", "b")
    aug = GANAugmenter(max_steps=5, random_state=0).fit(frame, y)
    ranges = [r for r in aug.rules_ if isinstance(r, RangeImplication)]
    assert len(ranges) == 5
    X_new, _ = aug.sample(300, y="a", random_state=5)
    assert not broken_rows(X_new, ranges).any()
    aug.save(tmp_path / "model")
    again = GANAugmenter.load(tmp_path / "model")
    assert again.rules_ == aug.rules_
    pd.testing.assert_frame_equal(again.sample(300, y="a", random_state=5)[0], X_new)


def test_a_range_rule_on_a_category_or_that_rows_break_is_refused():
    frame = schooling(200)
    y = np.zeros(200, dtype=int)
    with pytest.raises(ValueError, match="compares numbers, but column 'college'"):
        fit_rules(frame, [], ["college >= 1 -> band == '45+'"], False, y)
    with pytest.raises(ValueError, match="is broken by"):
        fit_rules(frame, [], ["education >= 12 -> college == 'yes'"], False, y)
    with pytest.raises(ValueError, match="never takes"):
        fit_rules(frame, [], ["education >= 13 -> college == 'maybe'"], False, y)


def test_discovery_finds_a_rounded_rate_in_float32_columns():
    rng = np.random.default_rng(3)
    minutes = rng.uniform(0, 600, 500).round(1)
    frame = pd.DataFrame(
        {"minutes": minutes, "charge": np.round(0.1234 * minutes, 2)}, dtype=np.float32
    )
    assert [str(r) for r in discover_rules(frame)] == ["charge == 0.1234 * minutes"]


def test_discovery_finds_nothing_in_independent_columns():
    rng = np.random.default_rng(1)
    n = 2000
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "count": rng.integers(0, 10, n),
            "amount": np.round(rng.gamma(2, 50, n), 2),
            "level": rng.integers(5, 15, n),
            "city": rng.choice(["a", "b", "c"], n),
            "flag": rng.choice([True, False], n, p=[0.9, 0.1]),
            "kind": rng.choice(["u", "v"], n, p=[0.95, 0.05]),
        }
    )
    assert discover_rules(frame) == []


def test_discovery_needs_support_on_small_data():
    frame, _ = telecom(n=15)
    assert discover_rules(frame) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("years_in_role <= years_at_company", Order("years_in_role", "years_at_company")),
        ("b >= a", Order("a", "b")),
        ("total == a + b", Sum("total", ("a", "b"))),
        ("charge == 0.25 * minutes", Multiple("charge", "minutes", 0.25)),
        ("charge == minutes * 0.25", Multiple("charge", "minutes", 0.25)),
        ("balance == deposit + 100", Offset("balance", "deposit", 100.0)),
        ("balance == deposit - 2.5", Offset("balance", "deposit", -2.5)),
        ("copy == original", Offset("copy", "original", 0.0)),
        (
            "internet == 'No' -> streaming == 'No internet service'",
            Implication("internet", "No", "streaming", "No internet service"),
        ),
        ("`my col` == -1 -> flag == True", Implication("my col", -1, "flag", True)),
        (
            "education >= 13 -> college == 'yes'",
            RangeImplication("education", 13.0, None, "college", "yes"),
        ),
        ("age <= 17.5 -> adult == False", RangeImplication("age", None, 17.5, "adult", False)),
        ("20 <= age <= 29 -> band == '20s'", RangeImplication("age", 20.0, 29.0, "band", "20s")),
    ],
)
def test_parse_rule_reads_each_form_and_round_trips(text, expected):
    rule = parse_rule(text)
    assert rule == expected
    assert parse_rule(str(rule)) == rule
    assert parse_rule(rule) is rule


@pytest.mark.parametrize(
    "text",
    [
        "a < b",
        "a == b * c",
        "a -> b",
        "a == 1 + b",
        "__import__('os')",
        "a > 3 -> b == 1",
        "9 <= a <= 3 -> b == 1",
        "a >= b -> c == 1",
    ],
)
def test_parse_rule_refuses_other_text(text):
    with pytest.raises(ValueError, match="cannot read rule"):
        parse_rule(text)


def test_rules_hold_within_the_target_rounding_and_vacuously_on_nan():
    frame = pd.DataFrame({"m": [10.0, 7.0, np.nan], "c": [1.7, 1.19, 5.0]})
    assert Multiple("c", "m", 0.17).holds(frame).all()
    frame.loc[1, "c"] = 1.18  # a cent off
    assert Multiple("c", "m", 0.17).holds(frame).tolist() == [True, False, True]
    frame.loc[1, "c"] = 1.2  # a column that reads as tenths: rounding to tenths is exact
    assert Multiple("c", "m", 0.17).holds(frame).all()
    assert Multiple("c", "m", 0.17).holds(frame, places=2).tolist() == [True, False, True]


@pytest.mark.parametrize(
    "rules, message",
    [
        (["tenure <= years_at_company"], "does not have"),
        (["years_at_company <= years_in_role"], r"broken by \d+ of the 400"),
        (
            [
                "internet == 'No' -> tech_support == 'No'",
                "internet == 'No' -> tech_support == 'Yes'",
            ],
            "contradict",
        ),
        (["charge == 0.17 * minutes", "charge == minutes + 1"], "both derive"),
        (["a == b + 1", "b == a - 1"], "cycle"),
        (["a <= b", "b <= total", "total <= a"], "cycle of orders"),
        (["internet <= charge"], "categorical"),
        (["internet == 'No' -> tech_support == 'Maybe'"], "never takes"),
        (["charge ==== minutes"], "cannot read rule"),
    ],
)
def test_bad_rules_raise_before_training(rules, message):
    frame, y = telecom()
    aug = GANAugmenter(max_steps=2, random_state=0, rules=rules)
    with pytest.raises(ValueError, match=message):
        aug.fit(frame, y)
    assert not hasattr(aug, "model_")


def test_rules_are_refused_for_images():
    images = np.random.default_rng(0).uniform(size=(20, 8, 8)).astype(np.float32)
    aug = GANAugmenter(max_steps=1, rules=["a <= b"])
    with pytest.raises(ValueError, match="tables only"):
        aug.fit(images, np.repeat([0, 1], 10))
    assert not hasattr(aug, "model_")


@pytest.fixture(scope="module")
def fitted():
    frame, y = telecom()
    frame = frame.astype({"years_at_company": "Int64"})
    aug = GANAugmenter(
        max_steps=3, random_state=0, rules=["deposit <= balance"], realism_filter=False
    )
    X_res, y_res = aug.fit_resample(frame, y)
    return aug, frame, X_res


def test_fit_resample_output_keeps_every_rule_and_dtype(fitted):
    aug, frame, X_res = fitted
    texts = [str(r) for r in aug.rules_]
    assert texts[0] == "deposit <= balance"  # the user's rule first
    assert PLANTED <= set(texts)
    synthetic = X_res.iloc[len(frame) :]
    assert len(synthetic) > 0
    assert not broken_rows(synthetic, aug.rules_).any()
    assert synthetic.dtypes.equals(frame.dtypes)
    more, _ = aug.sample(500, random_state=1)
    assert not broken_rows(more, aug.rules_).any()


def test_generator_alone_breaks_the_rules(fitted):
    """What the repair is for: the raw generator breaks the derivation in most rows."""
    aug, frame, _ = fitted
    model = aug.model_
    rules, numbers = model.rules, model.rule_numbers
    model.set_rules([], {})
    try:
        raw, _ = aug.sample(300, random_state=2)
    finally:
        model.set_rules(rules, numbers)
    assert (~Multiple("charge", "minutes", 0.17).holds(raw)).mean() > 0.5


def test_discover_rules_false_keeps_only_the_users_rules():
    frame, y = telecom()
    aug = GANAugmenter(max_steps=2, random_state=0, rules=["charge == 0.17 * minutes"])
    aug.set_params(discover_rules=False, realism_filter=False).fit(frame, y)
    assert aug.rules_ == [Multiple("charge", "minutes", 0.17)]
    rows, _ = aug.sample(200, random_state=0)
    assert aug.rules_[0].holds(rows).all()


def test_save_load_and_pickle_keep_rules_and_samples(fitted, tmp_path):
    aug = fitted[0]
    expected, _ = aug.sample(100, random_state=5)
    aug.save(tmp_path / "model")
    for copy in (GANAugmenter.load(tmp_path / "model"), pickle.loads(pickle.dumps(aug))):
        assert copy.rules_ == aug.rules_
        assert copy.get_params()["rules"] == ["deposit <= balance"]
        got, _ = copy.sample(100, random_state=5)
        pd.testing.assert_frame_equal(got, expected)


def test_ndarray_columns_are_named_by_number():
    rng = np.random.default_rng(0)
    low = rng.integers(0, 50, 300).astype(float)
    X = np.column_stack([low, low + rng.integers(0, 50, 300), rng.normal(size=300)])
    y = np.repeat([0, 1], [240, 60])
    aug = GANAugmenter(max_steps=2, random_state=0, rules=["`0` <= `1`"], realism_filter=False)
    X_res, _ = aug.fit_resample(X, y)
    assert aug.rules_[0] == Order(0, 1)
    assert np.all(X_res[:, 0] <= X_res[:, 1])


def test_edge_frame_with_nan_a_constant_column_and_a_one_row_class():
    frame, y = telecom(n=200)
    frame["constant"] = 7.0
    frame.loc[::5, "minutes"] = np.nan  # the charge rule holds vacuously there
    frame.loc[::5, "charge"] = np.nan
    y = y.copy()
    y[0] = "rare"
    aug = GANAugmenter(max_steps=2, random_state=0, realism_filter=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the one-row class warns
        X_res, y_res = aug.fit_resample(frame, y)
    assert not any("constant" in str(r) for r in aug.rules_)
    assert "charge == 0.17 * minutes" in {str(r) for r in aug.rules_}
    assert not broken_rows(X_res, aug.rules_).any()
    assert (y_res == "rare").sum() > 1


def _numbers(frame, **places):
    return {
        c: {"places": p, "lower": float(frame[c].min()), "upper": float(frame[c].max())}
        for c, p in places.items()
    }


def test_order_repair_swaps_along_a_chain_and_keeps_the_values():
    frame = pd.DataFrame({"a": [3, 1, 2], "b": [2, 3, 3], "c": [1, 2, 1]})
    rules = [Order("a", "b"), Order("b", "c")]
    out = enforce_rules(frame, rules, _numbers(frame, a=0, b=0, c=0), np.zeros(3, dtype=int))
    assert not broken_rows(out, rules).any()
    assert np.array_equal(np.sort(out.to_numpy(), axis=1), np.sort(frame.to_numpy(), axis=1))
    assert out.dtypes.equals(frame.dtypes)
    assert frame["a"].tolist() == [3, 1, 2]  # the input is not modified


def test_order_repair_draws_the_lower_column_again_with_the_training_shares():
    rng = np.random.default_rng(0)
    at_company = rng.integers(0, 30, 400).astype(float)
    train = pd.DataFrame({"in_role": np.floor(rng.random(400) * (at_company + 1))})
    train["at_company"] = at_company
    rules = [Order("in_role", "at_company")]
    _, facts = fit_rules(train, [], rules, discover=False)
    [(upper, shares)] = facts["in_role"]["shares"]
    # the shares of rows whose lower value is above its smallest (a broken pair's is)
    assert upper == "at_company" and 0.0 < shares[0] < 0.1 and shares[-1] == 1.0
    # synthetic rows whose lower column ignores the upper one: a third break the order
    synthetic = pd.DataFrame(
        {"in_role": rng.integers(0, 15, 300).astype(float), "at_company": at_company[:300] + 1}
    )  # (an upper value at the lower column's minimum leaves no room: that pair is swapped)
    out = enforce_rules(synthetic, rules, facts, np.zeros(300, dtype=int), rng)
    assert not broken_rows(out, rules).any()
    # the upper column is kept as drawn (a swap would move the large values into it)
    np.testing.assert_array_equal(out["at_company"], synthetic["at_company"])
    kept = synthetic["in_role"] <= synthetic["at_company"]
    np.testing.assert_array_equal(out["in_role"][kept], synthetic["in_role"][kept])
    redrawn = out["in_role"][~kept] / synthetic["at_company"][~kept]
    assert redrawn.std() > 0.1  # shares spread over [0, 1], not all at the bound


def test_order_repair_keeps_a_redrawn_value_off_a_point_mass_another_rule_ties():
    """No claim, no amount; amount <= repair cost. An amount drawn again below the repair
    cost stays an amount: drawn as 0 beside a claim, the row would break the implication
    and be replaced by a copy of another row."""
    rng = np.random.default_rng(0)
    claims = rng.poisson(0.6, 600).astype(float)
    repair = np.round(rng.gamma(2.0, 1500, 600), 2)
    amount = np.where(claims == 0, 0.0, np.round(repair * rng.uniform(0.6, 1.0, 600), 2))
    train = pd.DataFrame({"n_claims": claims, "amount": amount, "repair": repair})
    rules = [
        Implication("n_claims", 0.0, "amount", 0.0),
        Implication("amount", 0.0, "n_claims", 0.0),
        Order("amount", "repair"),
    ]
    _, facts = fit_rules(train, [], rules, discover=False)
    # synthetic claims whose amounts ignore the repair cost: about half break the order
    synthetic = pd.DataFrame(
        {
            "n_claims": np.ones(400),
            "amount": np.round(rng.gamma(2.0, 1500, 400), 2),
            "repair": np.round(rng.gamma(2.0, 1500, 400), 2),
        }
    )
    out = enforce_rules(synthetic, rules, facts, np.zeros(400, dtype=int), rng)
    assert not broken_rows(out, rules).any()
    assert (out["amount"] > 0).all() and (out["n_claims"] == 1).all()
    assert not out.duplicated().any()  # no row was replaced by a copy


def test_derivation_is_rounded_and_cast_to_the_target_column():
    frame = pd.DataFrame({"minutes": [10.5, 7.0], "charge": [0.0, 0.0], "whole": [0, 0]})
    rules = [Multiple("charge", "minutes", 0.17), Offset("whole", "minutes", 0.5)]
    numbers = {"charge": {"places": 2}, "minutes": {"places": 1}, "whole": {"places": 0}}
    out = enforce_rules(frame, rules, numbers, np.zeros(2, dtype=int))
    assert out["charge"].tolist() == [1.78, 1.19]
    assert out["whole"].tolist() == [11, 8] and out["whole"].dtype == np.int64


def test_conflicting_implications_fall_back_to_a_row_that_keeps_them():
    frame = pd.DataFrame({"a": ["x", "x", "z"], "b": ["p", "q", "q"], "c": ["s", "t", "t"]})
    rules = [Implication("a", "x", "c", "t"), Implication("b", "p", "c", "s")]
    out = enforce_rules(frame, rules, {}, np.zeros(3, dtype=int))
    assert not broken_rows(out, rules).any()


def test_a_derived_value_outside_the_training_range_is_replaced():
    frame = pd.DataFrame({"a": [1.0, 9.0, 2.0], "b": [1.0, 9.0, 1.0], "total": [0.0, 0.0, 0.0]})
    numbers = _numbers(frame, a=0, b=0) | {"total": {"places": 0, "lower": 2.0, "upper": 10.0}}
    out = enforce_rules(frame, [Sum("total", ("a", "b"))], numbers, np.zeros(3, dtype=int))
    assert out["total"].between(2, 10).all()  # 9 + 9 = 18 is past the range: replaced
    assert out["total"].tolist() == [2.0, 2.0, 3.0]


def test_conditions_that_imply_each_other_follow_the_first_column():
    """``internet`` decides; a stray 'No internet service' gets a real service value."""
    training, y = telecom()
    rules = [r for r in discover_rules(training) if isinstance(r, Implication)]
    _, facts = fit_rules(training, [], rules, False)
    rows = pd.DataFrame(
        {
            "internet": ["DSL", "No", "Fiber optic"] * 100,
            "online_security": ["No internet service", "Yes", "Yes"] * 100,
            "tech_support": ["Yes", "No internet service", "No"] * 100,
            "streaming_tv": ["No", "No", "No internet service"] * 100,
        }
    )
    frame = training.iloc[:300].reset_index(drop=True).copy()
    frame[list(rows.columns)] = rows
    out = enforce_rules(frame, rules, facts, np.zeros(300, dtype=int), np.random.default_rng(0))
    assert not broken_rows(out, rules).any()
    assert out["internet"].equals(frame["internet"])  # the leader keeps its frequencies
    redrawn = out.loc[frame["internet"] == "DSL", "online_security"]
    assert set(redrawn) == {"Yes", "No"}


def test_a_zero_that_goes_with_another_follows_the_first_column_and_keeps_dtypes():
    """``calls == 0`` decides; a stray zero cost gets one of the class's real costs."""
    training, y = telecom()
    rules = [r for r in discover_rules(training) if "call" in str(r)]
    assert {str(r) for r in rules} == {
        "calls == 0 -> call_cost == 0",
        "call_cost == 0 -> calls == 0",
    }
    _, facts = fit_rules(training, [], rules, False)
    frame = training.iloc[:200].reset_index(drop=True).copy()
    frame["calls"] = np.tile([0, 2], 100)
    frame["call_cost"] = np.tile([7.5, 0.0], 100)  # every row breaks one of the two
    out = enforce_rules(frame, rules, facts, np.zeros(200, dtype=int), np.random.default_rng(0))
    assert not broken_rows(out, rules).any()
    assert out["calls"].equals(frame["calls"])  # the leader keeps its frequencies
    assert out.dtypes.equals(frame.dtypes)
    redrawn = out.loc[frame["calls"] == 2, "call_cost"]
    assert set(redrawn) <= set(training["call_cost"]) - {0.0}
    assert redrawn.nunique() > 10


def test_rule_objects_are_accepted_and_saved(tmp_path):
    frame, y = telecom()
    rule = Multiple("charge", "minutes", 0.17)
    aug = GANAugmenter(
        max_steps=2, random_state=0, rules=[rule], discover_rules=False, realism_filter=False
    ).fit(frame, y)
    aug.save(tmp_path / "model")
    loaded = GANAugmenter.load(tmp_path / "model")
    assert loaded.get_params()["rules"] == [rule] and loaded.rules_ == [rule]
