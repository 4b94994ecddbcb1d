"""How real are the synthetic rows? GANAugmenter against the usual over-samplers on tables
built to carry the properties of business data (issue 10).

``python benchmarks/realism.py`` runs 5 paired seeds on all tables; ``--quick`` runs
1 seed on 2 tables (a few minutes). Options: ``--seeds N``, ``--tables a b``,
``--cache PATH`` (JSON of finished (table, seed) results, so an interrupted run
resumes), ``--write`` (replace the "Realism of table rows" section of
``benchmarks/BENCHMARKS.md``), ``--gan-params '{"max_steps": 50}'``.

Every table is generated in code from a fixed data seed; each benchmark seed draws
one stratified 70/30 split, thins the minority classes of the training split only
(the test split keeps the natural mix), and every method sees that same split.
Nothing is standardised before resampling: grids and rules live in raw values.

Realism is scored per minority class (the classes that receive synthetic rows),
synthetic rows against real rows of the same class, with the functions of
``ganaug.realism_metrics`` that ``GANAugmenter.quality_report`` uses:

- det AUC: ``detection_auc``, synthetic rows vs held-out (test) real rows;
- det fresh: the same against fresh real rows of the class, drawn from the table's
  generator with another data seed (20,000 rows a table, so the detector trains on
  as many real rows as there are synthetic ones, thousands, not the few dozen held-out
  rows of a minority class: it can learn relations between columns that det AUC
  cannot see);
- novelty: ``novelty_share``, distance to the nearest training row of the class
  against the same distance for held-out rows (fresh data ~0.05, copies 1.0);
- impossible: share of rows with a category no training row of the class has;
- rules: share of rows breaking a rule every training row obeys (the rules
  planted in each table plus those ``discover_rules`` finds on the training split);
- grid: share of values of grid columns on the grid found in the training split.

Downstream: balanced accuracy and macro-F1 on the test split with
LogisticRegression (median-imputed with indicators, scaled, one-hot) and
HistGradientBoosting (native NaN and categories), averaged over the two.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from imblearn.over_sampling import RandomOverSampler  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import balanced_accuracy_score, f1_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from ganaug import GANAugmenter  # noqa: E402
from ganaug.realism_metrics import (  # noqa: E402
    RowFeatures,
    detection_auc,
    discovered_rules,
    grid_share,
    impossible_pairs,
    novelty_share,
    smote_rows,
    table_categorical,
)
from ganaug.sampling.rules import broken_rows  # noqa: E402

METHODS = ["none", "balanced", "ROS", "SMOTE", "GAN"]
METHOD_NAMES = {
    "none": "no resampling",
    "balanced": 'class_weight="balanced"',
    "ROS": "RandomOverSampler",
    "SMOTE": "SMOTE / SMOTENC",
    "GAN": "GANAugmenter",
    "GAN_before": "GANAugmenter before (--baseline)",
}
REALISM = ["det_auc", "det_fresh", "novelty", "impossible", "rules", "grid"]
DOWNSTREAM = ["bal_acc", "macro_f1", "fit_s"]
SECTION = "## Realism of table rows"
# Fresh rows of each table for "det fresh": another data seed than the benchmark's 1234.
FRESH_SEED, FRESH_ROWS = 4321, 20000


@dataclass
class Rule:
    """A planted rule: ``check(frame)`` is True on every row that obeys it."""

    name: str
    check: Callable[[pd.DataFrame], Any]

    def holds(self, frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.check(frame), dtype=bool)


@dataclass
class Table:
    """A generated table: rows, labels (0..k-1), planted rules, training share per class."""

    frame: pd.DataFrame
    y: np.ndarray
    rules: list[Rule]
    thin_to: dict[int, float]  # minority class -> its share of the thinned training split
    what: str


def _implies(col: str, value: str, other: str, then: str) -> Rule:
    return Rule(
        f"{col}={value} -> {other}={then}", lambda f: (f[col] != value) | (f[other] == then)
    )


def _logistic(z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return (rng.random(len(z)) < 1 / (1 + np.exp(-z))).astype(int)


def table_telecom(rng: np.random.Generator, n: int = 2400) -> Table:
    """Churn: implications between service columns, charge = minutes x 0.12 to the cent,
    total charges a noisy product of tenure and monthly charges, whole-number tenure,
    charges on a 0.05 grid, a contract level churners never have."""
    tenure = np.clip(np.round(rng.gamma(1.3, 22, n)), 1, 72).astype(float)
    phone = np.where(rng.random(n) < 0.9, "Yes", "No")
    lines = np.where(phone == "No", "No phone service", np.where(rng.random(n) < 0.45, "Yes", "No"))
    internet = rng.choice(["DSL", "Fiber optic", "No"], n, p=[0.35, 0.43, 0.22])
    frame = pd.DataFrame({"tenure": tenure, "phone_service": phone, "multiple_lines": lines})
    frame["internet_service"] = internet
    extra = 0.0
    for col, price in [("online_security", 5.0), ("tech_support", 5.0), ("streaming_tv", 10.0)]:
        yes = rng.random(n) < 0.4
        frame[col] = np.where(internet == "No", "No internet service", np.where(yes, "Yes", "No"))
        extra = extra + np.where(frame[col] == "Yes", price, 0.0)
    base = np.select([internet == "Fiber optic", internet == "DSL"], [70.0, 45.0], 20.0)
    monthly = base + extra + np.where(lines == "Yes", 5.0, 0.0) + rng.normal(0, 4, n)
    frame["monthly_charges"] = np.round(np.clip(monthly, 18.25, None) * 20) / 20
    frame["total_charges"] = np.round(
        tenure * frame["monthly_charges"] * rng.lognormal(0, 0.05, n), 2
    )
    frame["minutes"] = np.round(rng.gamma(4.0, 45, n), 1)
    frame["charge"] = np.round(frame["minutes"] * 0.12, 2)
    z = (
        -0.6
        - 0.05 * tenure
        + 1.0 * (internet == "Fiber optic")
        + 0.02 * (frame["monthly_charges"] - 60)
        - 0.8 * (frame["tech_support"] == "Yes")
    )
    y = _logistic(np.asarray(z, dtype=float), rng)
    p_contract = np.where(y[:, None] == 1, [0.85, 0.15, 0.0], [0.45, 0.25, 0.30])
    u = rng.random(n)[:, None] < np.cumsum(p_contract, axis=1)
    frame["contract"] = np.array(["Month-to-month", "One year", "Two year"])[u.argmax(axis=1)]
    rules = [
        *[
            _implies("internet_service", "No", c, "No internet service")
            for c in ("online_security", "tech_support", "streaming_tv")
        ],
        _implies("phone_service", "No", "multiple_lines", "No phone service"),
        Rule(
            "charge = 0.12 x minutes", lambda f: np.abs(f["charge"] - f["minutes"] * 0.12) < 0.006
        ),
    ]
    return Table(frame, y, rules, {1: 0.10}, "churn, 11 columns, rules between services")


def table_credit(rng: np.random.Generator, n: int = 3000) -> Table:
    """Credit: whole-number income with NaN, zero-inflated assets, loans in steps of 1,000,
    rates in steps of 0.25, total debt the sum of three debts, an ownership level
    defaulters never have."""
    income = np.round(rng.lognormal(10.8, 0.5, n))
    months = np.round(rng.gamma(2.0, 30, n)).astype(float)
    assets = np.where(rng.random(n) < 0.55, 0.0, np.round(rng.lognormal(9.5, 1.2, n), 2))
    loan = np.clip(np.round(rng.lognormal(9.4, 0.6, n) / 1000), 1, 40) * 1000
    rate = np.clip(np.round(rng.normal(12, 4, n) * 4) / 4, 5, 25)
    card = np.round(rng.gamma(1.5, 2000, n), 2)
    car = np.where(rng.random(n) < 0.5, 0.0, np.round(rng.gamma(3.0, 4000, n), 2))
    other = np.round(rng.gamma(1.0, 1500, n), 2)
    frame = pd.DataFrame({"income": income, "months_employed": months, "assets": assets})
    frame["loan_amount"], frame["interest_rate"] = loan, rate
    frame["card_debt"], frame["car_debt"], frame["other_debt"] = card, car, other
    frame["total_debt"] = np.round(card + car + other, 2)
    frame["purpose"] = rng.choice(["car", "debt", "home", "education", "medical"], n)
    z = -2.2 + 2.5 * (card + car + other + loan) / income + 0.12 * (rate - 12) - 0.6 * (assets > 0)
    y = _logistic(z, rng)
    p_home = np.where(y[:, None] == 1, [0.7, 0.3, 0.0], [0.4, 0.4, 0.2])
    u = rng.random(n)[:, None] < np.cumsum(p_home, axis=1)
    frame["home_ownership"] = np.array(["Rent", "Mortgage", "Own outright"])[u.argmax(axis=1)]
    frame.loc[rng.random(n) < 0.15, "income"] = np.nan
    frame.loc[rng.random(n) < 0.10, "months_employed"] = np.nan
    rules = [
        Rule(
            "total_debt = card + car + other",
            lambda f: (
                np.abs(f["total_debt"] - f["card_debt"] - f["car_debt"] - f["other_debt"]) < 0.015
            ),
        )
    ]
    return Table(frame, y, rules, {1: 0.08}, "credit, 11 columns, NaN, zero-inflated assets")


def table_hr(rng: np.random.Generator, n: int = 2000) -> Table:
    """Attrition: integer ages and years, years_in_role <= years_at_company, salaries in
    steps of 1,000, training hours in steps of 5, a 1-4 satisfaction score, job role
    implying department."""
    roles = {
        "Sales Executive": "Sales",
        "Sales Representative": "Sales",
        "Research Scientist": "R&D",
        "Lab Technician": "R&D",
        "Manager": "R&D",
        "HR Specialist": "HR",
    }
    role = rng.choice(list(roles), n, p=[0.22, 0.1, 0.25, 0.2, 0.13, 0.1])
    age = np.clip(np.round(rng.normal(37, 9, n)), 18, 60)
    at_company = np.floor(rng.random(n) * np.minimum(age - 18, 30) + 0.5)
    in_role = np.floor(rng.random(n) * (at_company + 1))
    salary = (
        np.round(
            (30000 + 900 * at_company + 25000 * (role == "Manager") + rng.normal(0, 6000, n)) / 1000
        )
        * 1000
    )
    frame = pd.DataFrame({"age": age, "years_at_company": at_company, "years_in_role": in_role})
    frame["annual_salary"] = salary
    frame["job_role"], frame["department"] = role, [roles[r] for r in role]
    frame["overtime"] = np.where(rng.random(n) < 0.3, "Yes", "No")
    frame["training_hours"] = rng.integers(0, 13, n) * 5.0
    frame["satisfaction"] = rng.integers(1, 5, n).astype(float)
    frame["distance_km"] = np.round(rng.gamma(1.5, 6, n)) + 1
    z = (
        -1.2
        + 1.3 * (frame["overtime"] == "Yes")
        - 0.05 * at_company
        - 0.45 * (frame["satisfaction"] - 2.5)
        + 0.8 * (role == "Sales Representative")
        - 0.00003 * (salary - 45000)
    )
    y = _logistic(np.asarray(z, dtype=float), rng)
    rules = [
        Rule(
            "years_in_role <= years_at_company",
            lambda f: f["years_in_role"] <= f["years_at_company"],
        ),
        *[_implies("job_role", r, "department", d) for r, d in roles.items()],
    ]
    return Table(frame, y, rules, {1: 0.12}, "attrition, 10 columns, order and role rules")


def table_penguins(rng: np.random.Generator, n: int = 1500) -> Table:
    """Penguins: three species; Gentoo only on Biscoe and Chinstrap only on Dream; bills to
    0.1 mm, whole-mm flippers, body mass in steps of 25 g; sex missing in a few rows."""
    species = rng.choice(3, n, p=[0.44, 0.2, 0.36])  # Adelie, Chinstrap, Gentoo
    island = np.where(
        species == 0,
        rng.choice(["Biscoe", "Dream", "Torgersen"], n),
        np.where(species == 1, "Dream", "Biscoe"),
    )
    male = rng.random(n) < 0.5
    bill_len = np.array([38.8, 48.8, 47.5])[species] + 1.8 * male + rng.normal(0, 2.2, n)
    bill_dep = np.array([18.3, 18.4, 15.0])[species] + 1.0 * male + rng.normal(0, 0.8, n)
    flipper = np.array([190.0, 196.0, 217.0])[species] + 5 * male + rng.normal(0, 5.5, n)
    mass = 21 * flipper - 0.85 * 21 * np.array([190, 196, 206])[species] + 300 * male
    frame = pd.DataFrame({"island": island, "bill_length_mm": np.round(bill_len, 1)})
    frame["bill_depth_mm"] = np.round(bill_dep, 1)
    frame["flipper_length_mm"] = np.round(flipper)
    frame["body_mass_g"] = np.round((mass + 600 + rng.normal(0, 250, n)) / 25) * 25
    frame["sex"] = np.where(male, "male", "female").astype(object)
    frame.loc[rng.random(n) < 0.03, "sex"] = None
    return Table(frame, species, [], {1: 0.08, 2: 0.15}, "penguins, 3 species, islands by species")


def table_insurance(rng: np.random.Generator, n: int = 2500) -> Table:
    """Claims, all numeric: integer ages and counts, premiums in steps of 5, a 3-valued
    deductible, zero claim amount when there is no claim, repair cost a noisy product of
    vehicle value and damage ratio."""
    driver_age = np.clip(np.round(rng.normal(42, 13, n)), 18, 85)
    vehicle_age = np.clip(np.round(rng.gamma(2.0, 3.0, n)), 0, 20)
    value = np.round(30000 * np.exp(-0.12 * vehicle_age) * rng.lognormal(0, 0.3, n), 2)
    damage = np.round(rng.beta(1.5, 6, n), 3)
    repair = np.round(value * damage * rng.lognormal(0, 0.1, n), 2)
    claims = rng.poisson(0.6, n).astype(float)
    amount = np.where(claims == 0, 0.0, np.round(repair * rng.uniform(0.6, 1.0, n), 2))
    frame = pd.DataFrame({"driver_age": driver_age, "vehicle_age": vehicle_age})
    frame["vehicle_value"], frame["damage_ratio"], frame["repair_cost"] = value, damage, repair
    frame["n_claims"], frame["claim_amount"] = claims, amount
    frame["deductible"] = rng.choice([250.0, 500.0, 1000.0], n, p=[0.3, 0.5, 0.2])
    frame["premium"] = np.round((400 + 8 * np.maximum(0, 30 - driver_age) + value / 100) / 5) * 5
    z = (
        -2.4
        + 0.9 * claims
        + 3.0 * damage
        - 0.002 * (frame["deductible"] - 500)
        - 0.02 * (driver_age - 42)
    )
    y = _logistic(np.asarray(z, dtype=float), rng)
    rules = [
        Rule(
            "n_claims = 0 -> claim_amount = 0",
            lambda f: (f["n_claims"] != 0) | (f["claim_amount"] == 0),
        )
    ]
    return Table(frame, y, rules, {1: 0.10}, "insurance claims, 9 numeric columns")


TABLES: dict[str, Callable[[np.random.Generator], Table]] = {
    "telecom": table_telecom,
    "credit": table_credit,
    "hr": table_hr,
    "penguins": table_penguins,
    "insurance": table_insurance,
}
QUICK_TABLES = ["telecom", "credit"]


@dataclass
class Split:
    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: np.ndarray
    y_test: np.ndarray
    categorical: list[str]


def make_split(table: Table, seed: int) -> Split:
    """A stratified 70/30 split; minority classes thinned in the training split only."""
    X_tr, X_te, y_tr, y_te = train_test_split(
        table.frame, table.y, test_size=0.3, stratify=table.y, random_state=seed
    )
    rng = np.random.default_rng(seed)
    keep = np.ones(len(y_tr), dtype=bool)
    others = np.isin(y_tr, list(table.thin_to), invert=True).sum()
    for c, share in table.thin_to.items():
        rows = np.flatnonzero(y_tr == c)
        # share of the thinned split: n_c / (others + sum of thinned) ~ share
        n = max(6, int(round(share * others / (1 - sum(table.thin_to.values())))))
        drop = rng.permutation(rows)[min(n, len(rows)) :]
        keep[drop] = False
    categorical = table_categorical(table.frame)
    return Split(
        X_tr[keep].reset_index(drop=True),
        X_te.reset_index(drop=True),
        y_tr[keep],
        y_te,
        categorical,
    )


def classifier(name: str, split: Split, balanced: bool) -> Any:
    weight = "balanced" if balanced else None
    numeric = [c for c in split.X_train.columns if c not in split.categorical]
    if name == "LR":
        prep = ColumnTransformer(
            [
                (
                    "num",
                    make_pipeline(
                        SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
                    ),
                    numeric,
                ),
                ("cat", OneHotEncoder(handle_unknown="ignore"), split.categorical),
            ]
        )
        return make_pipeline(prep, LogisticRegression(max_iter=3000, class_weight=weight))
    prep = ColumnTransformer(
        [
            (
                "cat",
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan),
                split.categorical,
            ),
            ("num", "passthrough", numeric),
        ]
    )
    cat_mask = [True] * len(split.categorical) + [False] * len(numeric)
    hgb = HistGradientBoostingClassifier(
        categorical_features=cat_mask if split.categorical else None,
        class_weight=weight,
        random_state=0,
    )
    return make_pipeline(prep, hgb)


def resample(
    method: str, split: Split, seed: int, gan_params: dict
) -> tuple[pd.DataFrame, np.ndarray, float]:
    """Synthetic rows and their labels from one method (empty for no resampling), fit seconds."""
    X, y = split.X_train, split.y_train
    start = time.perf_counter()
    if method == "ROS":
        X_res, y_res = RandomOverSampler(random_state=seed).fit_resample(X, y)
    elif method == "SMOTE":
        counts = np.bincount(y)
        wanted = {c: int(counts.max() - n) for c, n in enumerate(counts)}
        new, y_new = smote_rows(X, y, split.categorical, wanted, seed)
        X_res, y_res = pd.concat([X, new], ignore_index=True), np.r_[y, y_new]
    elif method == "GAN":
        X_res, y_res = GANAugmenter(random_state=seed, **gan_params).fit_resample(X, y)
    else:
        X_res, y_res = X, y
    seconds = time.perf_counter() - start
    return X_res.iloc[len(X) :].reset_index(drop=True), np.asarray(y_res)[len(X) :], seconds


def realism(
    split: Split, synthetic: pd.DataFrame, y_syn: np.ndarray, rules: list, seed: int, fresh: Table
) -> dict:
    """Realism measures averaged over the classes that got synthetic rows."""
    view = RowFeatures(split.X_train, split.categorical)
    per_class = []
    for c in np.unique(y_syn):
        syn = synthetic[y_syn == c].reset_index(drop=True)
        train = split.X_train[split.y_train == c]
        test = split.X_test[split.y_test == c]
        broken = broken_rows(syn, rules) if rules else np.zeros(len(syn), dtype=bool)
        per_class.append(
            {
                "det_auc": detection_auc(view.detection(test), view.detection(syn), seed),
                "det_fresh": detection_auc(
                    view.detection(fresh.frame[fresh.y == c]), view.detection(syn), seed
                ),
                "novelty": novelty_share(
                    view.distance(train), view.distance(test), view.distance(syn)
                ),
                "impossible": float(np.mean(impossible_pairs(train, syn, split.categorical))),
                "rules": float(np.mean(broken)),
                "grid": grid_share(split.X_train, syn, view.numeric),
            }
        )
    if not per_class:
        return {}
    out = {k: float(np.nanmean([p[k] for p in per_class])) for k in REALISM}
    # which rules break, over all synthetic rows: tells the rule work where to look
    out["broken"] = {str(getattr(r, "name", r)): float(np.mean(~r.holds(synthetic))) for r in rules}
    return out


def run_one(name: str, seed: int, gan_params: dict) -> list[dict]:
    table = TABLES[name](np.random.default_rng(1234))
    fresh = TABLES[name](np.random.default_rng(FRESH_SEED), n=FRESH_ROWS)
    split = make_split(table, seed)
    rules = [
        r for r in table.rules + discovered_rules(split.X_train) if r.holds(split.X_train).all()
    ]
    rows = []
    for method in METHODS:
        synthetic, y_syn, seconds = resample(method, split, seed, gan_params)
        X_fit = pd.concat([split.X_train, synthetic], ignore_index=True)
        y_fit = np.r_[split.y_train, y_syn]
        row = {
            "table": name,
            "seed": seed,
            "method": method,
            "fit_s": seconds,
            "n_synthetic": len(y_syn),
        }
        row.update(realism(split, synthetic, y_syn, rules, seed, fresh) if len(y_syn) else {})
        scores = {"bal_acc": [], "macro_f1": []}
        for clf in ("LR", "HGB"):
            model = classifier(clf, split, balanced=method == "balanced").fit(X_fit, y_fit)
            pred = model.predict(split.X_test)
            row[f"bal_acc_{clf}"] = balanced_accuracy_score(split.y_test, pred)
            row[f"macro_f1_{clf}"] = f1_score(split.y_test, pred, average="macro")
            scores["bal_acc"].append(row[f"bal_acc_{clf}"])
            scores["macro_f1"].append(row[f"macro_f1_{clf}"])
        row.update({k: float(np.mean(v)) for k, v in scores.items()})
        row["n_rules"] = len(rules)
        rows.append(row)
        print(
            f"  {name} seed {seed} {method}: "
            + ", ".join(f"{k} {row[k]:.3f}" for k in REALISM + DOWNSTREAM if k in row),
            flush=True,
        )
    return rows


# -- report ------------------------------------------------------------------------------

COLUMNS = {
    "det_auc": "det AUC ↓",
    "det_fresh": "det fresh ↓",
    "novelty": "novelty ≤0.20",
    "impossible": "impossible ↓",
    "rules": "rule viol. ↓",
    "grid": "on grid ↑",
    "bal_acc": "bal. acc ↑",
    "macro_f1": "macro-F1 ↑",
    "fit_s": "fit s",
}


def _cell(value: float, key: str) -> str:
    if not np.isfinite(value):
        return "–"
    return f"{value:.1f}" if key == "fit_s" else f"{value:.3f}"


def markdown(results: pd.DataFrame) -> str:
    mean = results.groupby(["table", "method"]).mean(numeric_only=True)
    tables = list(dict.fromkeys(results["table"]))
    methods = [m for m in METHOD_NAMES if m in set(results["method"])]
    overall = mean.groupby(level="method").mean().reindex(methods)
    head = "| method | " + " | ".join(COLUMNS.values()) + " |\n|---|" + "---|" * len(COLUMNS) + "\n"
    lines = ["### Mean over tables and seeds", "", head.rstrip("\n")]
    for m in methods:
        lines.append(
            f"| {METHOD_NAMES[m]} | "
            + " | ".join(_cell(overall.loc[m].get(k, np.nan), k) for k in COLUMNS)
            + " |"
        )
    lines += [
        "",
        "### Per table",
        "",
        "| table | " + head[2:].rstrip("\n").replace("|---|", "|---|---|", 1),
    ]
    for t in tables:
        for m in methods:
            row = mean.loc[(t, m)]
            lines.append(
                f"| {t} | {METHOD_NAMES[m]} | "
                + " | ".join(_cell(row.get(k, np.nan), k) for k in COLUMNS)
                + " |"
            )
    lines += ["", *paired(results, tables)]
    lines += ["", "### Where GANAugmenter loses", ""]
    lines += losses(results, mean, tables) or ["Nowhere on these tables."]
    return "\n".join(lines) + "\n"


def paired(results: pd.DataFrame, tables: list[str]) -> list[str]:
    """GANAugmenter minus a baseline, seed by seed: mean difference and wins/losses."""
    wide = results.pivot_table(
        index=["table", "seed"], columns="method", values=["det_auc", "det_fresh", "bal_acc"]
    )
    comparisons = [("det_auc", "SMOTE", -1), ("bal_acc", "balanced", 1), ("bal_acc", "SMOTE", 1)]
    header = (
        "| table | Δ det AUC vs SMOTE | W/L | Δ bal. acc vs balanced | W/L "
        "| Δ bal. acc vs SMOTE | W/L |"
    )
    if ("bal_acc", "GAN_before") in wide:
        comparisons += [
            ("det_auc", "GAN_before", -1),
            ("det_fresh", "GAN_before", -1),
            ("bal_acc", "GAN_before", 1),
        ]
        header += (
            " Δ det AUC vs before | W/L | Δ det fresh vs before | W/L "
            "| Δ bal. acc vs before | W/L |"
        )
    lines = [
        "### GANAugmenter minus the baselines, paired over seeds",
        "",
        "Mean difference; wins/losses over seeds (a win is a lower detection AUC, a "
        "higher balanced accuracy).",
        "",
        header,
        "|---" * (1 + 2 * len(comparisons)) + "|",
    ]
    for t in [*tables, "all"]:
        part = wide if t == "all" else wide.loc[[t]]
        cells = []
        for key, other, sign in comparisons:
            diff = (part[(key, "GAN")] - part[(key, other)]).to_numpy()
            wins, losses_ = int((sign * diff > 1e-9).sum()), int((sign * diff < -1e-9).sum())
            cells += [f"{diff.mean():+.3f}", f"{wins}/{losses_}"]
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    return lines


def losses(results: pd.DataFrame, mean: pd.DataFrame, tables: list[str]) -> list[str]:
    out = []
    for t in tables:
        gan, smote = mean.loc[(t, "GAN")], mean.loc[(t, "SMOTE")]
        best_bal = max(mean.loc[(t, m), "bal_acc"] for m in METHODS if m != "GAN")  # not "before"
        notes = []
        if gan["det_auc"] > smote["det_auc"]:
            notes.append(f"detection AUC {gan['det_auc']:.3f} vs SMOTE's {smote['det_auc']:.3f}")
        if gan["novelty"] > 0.20:
            notes.append(f"novelty share {gan['novelty']:.3f} > 0.20")
        if gan["impossible"] > 0:
            notes.append(f"{gan['impossible']:.1%} impossible (class, category) pairs")
        if gan["rules"] > 0:
            shares = pd.DataFrame(
                [
                    r["broken"]
                    for _, r in results.iterrows()
                    if r["table"] == t and r["method"] == "GAN"
                ]
            ).mean()
            worst = "; ".join(f"`{k}` {v:.1%}" for k, v in shares[shares > 0].nlargest(3).items())
            notes.append(f"{gan['rules']:.1%} of rows break a rule ({worst})")
        if np.isfinite(gan["grid"]) and gan["grid"] < 0.99:
            notes.append(f"{gan['grid']:.1%} of grid values on their grid")
        if ("GAN_before" in mean.loc[t].index) and gan["fit_s"] > 1.5 * mean.loc[
            (t, "GAN_before"), "fit_s"
        ]:
            before = mean.loc[(t, "GAN_before"), "fit_s"]
            notes.append(f"fit time {gan['fit_s']:.1f} s vs {before:.1f} s before (over 1.5x)")
        if gan["bal_acc"] < best_bal:
            notes.append(f"balanced accuracy {gan['bal_acc']:.3f} vs best other {best_bal:.3f}")
        if notes:
            out.append(f"- **{t}**: " + "; ".join(notes) + ".")
    return out


def describe(tables: list[str]) -> str:
    """A markdown table of what each table holds, its planted rules and its seed-0 split."""
    lines = [
        "| table | what | planted rules | training rows per class (seed 0) |",
        "|---|---|---|---|",
    ]
    for name in tables:
        table = TABLES[name](np.random.default_rng(1234))
        split = make_split(table, 0)
        what = " ".join(TABLES[name].__doc__.split())
        rules = "; ".join(r.name for r in table.rules) or "none"
        counts = ", ".join(f"{c}: {n}" for c, n in enumerate(np.bincount(split.y_train)))
        lines.append(f"| {name} | {what} | {rules} | {counts} |")
    return "\n".join(lines)


def write_section(text: str, command: str, seeds: list[int], tables: list[str]) -> None:
    path = Path(__file__).with_name("BENCHMARKS.md")
    doc = path.read_text() if path.exists() else "# Benchmarks\n"
    machine = (
        f"{platform.platform()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"
    )
    section = (
        f"{SECTION}\n\nCommand: `{command}`\n\nMachine: {machine}; seeds {seeds}; tables "
        f"{', '.join(tables)}; GANAugmenter(random_state=seed) defaults.\n\n"
        + __doc__.split("\n\n", 2)[2].strip().replace("``", "`")
        + "\n\n"
        + describe(tables)
        + "\n\nRealism columns are means over the minority classes that received rows "
        "(no resampling and class_weight have none); downstream columns average "
        "LogisticRegression and HistGradientBoosting. For scale: on telecom, credit "
        "and hr (seed 0), real training rows of a class against its held-out rows score "
        "a detection AUC of 0.50 to 0.60, and one half of the held-out rows against the "
        "other a novelty share of 0.05; against fresh rows, the real training rows of a "
        "class score a det fresh of 0.43 to 0.53 (telecom, credit, hr and insurance; a "
        "perfect generator would score 0.5 however many rows it gave). "
        "RandomOverSampler's copies are detected through "
        "their duplicates (each training row of a minority class appears about ten "
        "times), not for looking unlike the class; their novelty share of 1.0 is what "
        "flags them.\n\n" + text
    )
    if SECTION in doc:
        start = doc.index(SECTION)
        nxt = doc.find("\n## ", start + len(SECTION))
        rest = "\n" + doc[nxt + 1 :] if nxt >= 0 else ""
        doc = doc[:start] + section.rstrip("\n") + "\n" + rest
    else:
        doc = doc.rstrip("\n") + "\n\n" + section
    path.write_text(doc)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, 2 tables")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--tables", nargs="*", default=None, choices=list(TABLES))
    parser.add_argument("--cache", default=None, help="JSON file of finished results")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument("--gan-params", default="{}", help="JSON of GANAugmenter parameters")
    parser.add_argument(
        "--baseline-note", default="", help="what the --baseline run was, for BENCHMARKS.md"
    )
    parser.add_argument(
        "--baseline",
        default=None,
        help="cache JSON of a run with another ganaug (e.g. the last release): its "
        "GANAugmenter rows are shown beside this run's",
    )
    args = parser.parse_args(argv)
    seeds = list(range(args.seeds or (1 if args.quick else 5)))
    tables = args.tables or (QUICK_TABLES if args.quick else list(TABLES))
    gan_params = json.loads(args.gan_params)
    cache_path = Path(args.cache) if args.cache else None
    done = json.loads(cache_path.read_text()) if cache_path and cache_path.exists() else {}
    rows = []
    with threadpool_limits(1):
        for name in tables:
            for seed in seeds:
                key = f"{name}/{seed}/{json.dumps(gan_params, sort_keys=True)}"
                if key not in done:
                    done[key] = run_one(name, seed, gan_params)
                    if cache_path:
                        cache_path.write_text(json.dumps(done))
                rows += done[key]
    if args.baseline:
        before = json.loads(Path(args.baseline).read_text())
        for name in tables:
            for seed in seeds:
                key = f"{name}/{seed}/{json.dumps(gan_params, sort_keys=True)}"
                rows += [{**r, "method": "GAN_before"} for r in before[key] if r["method"] == "GAN"]
    text = markdown(pd.DataFrame(rows))
    print(text)
    if args.write:
        if args.baseline_note:
            text = f"GANAugmenter before: {args.baseline_note}\n\n{text}"
        # the note is printed below the command; quoting it whole would drown the command
        shown = ["'<note>'" if a == args.baseline_note else a for a in sys.argv[1:]]
        command = "python benchmarks/realism.py " + " ".join(shown)
        write_section(text, command, seeds, tables)


if __name__ == "__main__":
    main()
