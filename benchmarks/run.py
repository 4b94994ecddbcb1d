"""Reproducible tabular benchmark: GANAugmenter against the usual over-samplers.

``python benchmarks/run.py`` writes ``benchmarks/BENCHMARKS.md``. Options:
``--quick`` (2 seeds, fewer tasks, for a smoke run), ``--seeds N``, ``--tasks a b``,
``--out PATH``, ``--cache PATH`` (a JSON file of finished (task, seed) results, so
that an interrupted run resumes and a longer one reuses a shorter one's work).

Every task is built from data bundled with scikit-learn. Each seed draws one
stratified train/test split; the imbalance is induced on the training split only
(the test split keeps the natural class mix), and every sampler sees the same
split. Numeric columns are standardised on the training split before
resampling, as in ``make_pipeline(StandardScaler(), SMOTE(), ...)``. A sampler
resamples once per (task, seed) and both classifiers train on that output:
resampling does not depend on the classifier.
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
from imblearn.over_sampling import SMOTE, SMOTENC, RandomOverSampler  # noqa: E402
from scipy import stats  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.datasets import (  # noqa: E402
    load_breast_cancer,
    load_digits,
    load_wine,
    make_classification,
)
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import balanced_accuracy_score, f1_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from ganaug import GANAugmenter  # noqa: E402

SAMPLERS = ["none", "balanced", "ROS", "SMOTE", "GAN"]
SAMPLER_NAMES = {
    "none": "no resampling",
    "balanced": 'class_weight="balanced"',
    "ROS": "RandomOverSampler",
    "SMOTE": "SMOTE / SMOTENC",
    "GAN": "GANAugmenter",
}
CLASSIFIERS = ["LR", "HGB"]
CLASSIFIER_NAMES = {"LR": "LogisticRegression", "HGB": "HistGradientBoosting"}
# |GAN - SMOTE| below this counts as a tie: one test row of a ~50-row class moves
# balanced accuracy by more than this.
TIE = 1e-3


@dataclass
class Split:
    """One seed's data: training split (imbalanced) and test split (natural mix)."""

    X_train: Any
    X_test: Any
    y_train: np.ndarray
    y_test: np.ndarray
    categorical: list[str]


def _thin(y: np.ndarray, fractions: dict[int, float], rng: np.random.Generator) -> np.ndarray:
    """Row indices that keep ``fractions[c]`` of class ``c`` (all of other classes)."""
    keep = []
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        if c in fractions:
            n = max(6, int(round(len(rows) * fractions[c])))
            rows = np.sort(rng.choice(rows, n, replace=False))
        keep.append(rows)
    return np.sort(np.concatenate(keep))


def _split(X: Any, y: np.ndarray, seed: int, fractions: dict[int, float], categorical=()) -> Split:
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
    keep = _thin(y_tr, fractions, np.random.default_rng(seed))
    if isinstance(X_tr, pd.DataFrame):
        X_tr = X_tr.iloc[keep]
    else:
        X_tr = X_tr[keep]
    return Split(X_tr, X_te, y_tr[keep], y_te, list(categorical))


def task_breast_cancer(seed: int) -> Split:
    """Malignant (class 0, 37%) cut to about 12% of the training split; 30 numeric columns."""
    X, y = load_breast_cancer(return_X_y=True)
    return _split(X, y, seed, {0: 0.23})


def task_wine(seed: int) -> Split:
    """Wine cultivar 1 against the rest, cultivar 1 cut to about 12% of training; 13 columns."""
    X, y = load_wine(return_X_y=True)
    return _split(X, (y == 0).astype(int), seed, {1: 0.25})


def task_digits(seed: int) -> Split:
    """All ten digits (64 pixel columns); digits 3, 8 and 9 cut to 12% of training."""
    X, y = load_digits(return_X_y=True)
    return _split(X.astype(float), y, seed, {3: 0.12, 8: 0.12, 9: 0.12})


def task_mixed(seed: int) -> Split:
    """``make_classification`` with 6 numeric and 3 categorical columns; minority ~8%.

    The categorical columns are informative features cut into 3 to 5 bins, so the
    category carries class signal as it would in real data.
    """
    X, y = make_classification(
        n_samples=1200,
        n_features=9,
        n_informative=6,
        n_redundant=1,
        class_sep=0.8,
        weights=[0.75, 0.25],
        random_state=1000 + seed,
    )
    frame = pd.DataFrame(X[:, :6], columns=[f"num{i}" for i in range(6)])
    for j, (col, labels) in enumerate(
        [("colour", ["red", "green", "blue"]), ("size", list("SMLX")), ("grade", list("ABCDE"))]
    ):
        codes = pd.qcut(X[:, 6 + j], len(labels), labels=False)
        frame[col] = pd.Categorical.from_codes(codes, categories=labels)
    return _split(frame, y, seed, {1: 0.28}, categorical=["colour", "size", "grade"])


def task_three_class(seed: int) -> Split:
    """3-class ``make_classification`` (10 columns); classes 1 and 2 cut to 30% and 10%."""
    X, y = make_classification(
        n_samples=900,
        n_features=10,
        n_informative=5,
        n_redundant=2,
        n_classes=3,
        n_clusters_per_class=2,
        class_sep=1.0,
        random_state=2000 + seed,
    )
    return _split(X, y, seed, {1: 0.3, 2: 0.1})


TASKS: dict[str, Callable[[int], Split]] = {
    "breast_cancer": task_breast_cancer,
    "wine_1_vs_rest": task_wine,
    "digits_3_8_9_thinned": task_digits,
    "mixed_categorical": task_mixed,
    "three_class": task_three_class,
}


def standardise(split: Split) -> Split:
    """Scale numeric columns on the training split; categories are left alone."""
    if isinstance(split.X_train, pd.DataFrame):
        numeric = [c for c in split.X_train.columns if c not in split.categorical]
        scaler = StandardScaler().fit(split.X_train[numeric])
        X_tr, X_te = split.X_train.copy(), split.X_test.copy()
        X_tr[numeric] = scaler.transform(X_tr[numeric])
        X_te[numeric] = scaler.transform(X_te[numeric])
    else:
        scaler = StandardScaler().fit(split.X_train)
        X_tr, X_te = scaler.transform(split.X_train), scaler.transform(split.X_test)
    return Split(X_tr, X_te, split.y_train, split.y_test, split.categorical)


def make_sampler(name: str, split: Split, seed: int, gan_params: dict) -> Any:
    if name == "ROS":
        return RandomOverSampler(random_state=seed)
    if name == "SMOTE":
        if split.categorical:
            return SMOTENC(categorical_features=split.categorical, random_state=seed)
        return SMOTE(random_state=seed)
    if name == "GAN":
        return GANAugmenter(random_state=seed, **gan_params)
    return None


def make_classifier(name: str, split: Split, balanced: bool) -> Any:
    weight = "balanced" if balanced else None
    if name == "HGB":
        return HistGradientBoostingClassifier(random_state=0, class_weight=weight)
    lr = LogisticRegression(max_iter=5000, class_weight=weight)
    if split.categorical:
        numeric = [c for c in split.X_train.columns if c not in split.categorical]
        prep = ColumnTransformer(
            [
                ("num", StandardScaler(), numeric),
                ("cat", OneHotEncoder(handle_unknown="ignore"), split.categorical),
            ]
        )
        return make_pipeline(prep, lr)
    return make_pipeline(StandardScaler(), lr)


def run_one(task: str, seed: int, gan_params: dict, samplers: list[str]) -> dict:
    """Scores, fit seconds and synthetic row counts of every sampler on one split."""
    split = standardise(TASKS[task](seed))
    out: dict[str, Any] = {"n_train": len(split.y_train), "counts": {}}
    out["counts"] = {str(k): int(v) for k, v in zip(*np.unique(split.y_train, return_counts=True))}
    for name in samplers:
        sampler = make_sampler(name, split, seed, gan_params)
        start = time.perf_counter()
        if sampler is None:
            X_res, y_res = split.X_train, split.y_train
        else:
            X_res, y_res = sampler.fit_resample(split.X_train, split.y_train)
        seconds = time.perf_counter() - start
        rec: dict[str, Any] = {"fit_s": seconds, "n_new": len(y_res) - len(split.y_train)}
        if name == "GAN":
            n = 20_000
            sampler.sample(100, y=sampler.classes_[0])
            t0 = time.perf_counter()
            sampler.sample(n)
            rec["sample_rows_per_s"] = n / (time.perf_counter() - t0)
            rec["train_s"] = sampler.fit_time_
            rec["n_steps"] = int(sampler.n_steps_)
        for clf_name in CLASSIFIERS:
            clf = make_classifier(clf_name, split, balanced=name == "balanced")
            clf.fit(X_res, y_res)
            pred = clf.predict(split.X_test)
            rec[clf_name] = {
                "bacc": balanced_accuracy_score(split.y_test, pred),
                "f1": f1_score(split.y_test, pred, average="macro"),
            }
        out[name] = rec
    return out


def _ci(diffs: np.ndarray) -> tuple[float, float, float]:
    mean = float(diffs.mean())
    if len(diffs) < 2:
        return mean, float("nan"), float("nan")
    half = stats.t.ppf(0.975, len(diffs) - 1) * diffs.std(ddof=1) / np.sqrt(len(diffs))
    return mean, mean - half, mean + half


def report(
    results: dict, tasks: list[str], seeds: list[int], command: str, gan_params: dict
) -> str:
    """BENCHMARKS.md as a string."""
    lines = [
        "# Benchmarks",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPU cores (shared with other jobs "
        f"while this ran, so seconds are inflated), Python {platform.python_version()}; "
        f"{len(seeds)} paired seeds ({', '.join(map(str, seeds))}); "
        f"GANAugmenter(random_state=seed{''.join(f', {k}={v!r}' for k, v in gan_params.items())}).",
        "",
        "Each seed draws one stratified 70/30 split; the imbalance is induced on the training "
        "split only, numeric columns are standardised on it, and every sampler resamples that "
        "same split once for both classifiers. LR is StandardScaler + LogisticRegression "
        "(one-hot for categories); HGB is HistGradientBoostingClassifier (native categories). "
        "Scores on the untouched test split: balanced accuracy (primary) and macro-F1, "
        "mean ± std over seeds.",
        "",
        "## Tasks",
        "",
        "| task | what | training rows per class (seed 0) |",
        "|---|---|---|",
    ]
    for task in tasks:
        doc = (TASKS[task].__doc__ or "").strip().splitlines()[0]
        counts = results[f"{task}/{seeds[0]}"]["counts"]
        lines.append(f"| {task} | {doc} | {', '.join(f'{k}: {v}' for k, v in counts.items())} |")

    def cell(task, clf, sampler, metric):
        vals = np.array([results[f"{task}/{s}"][sampler][clf][metric] for s in seeds])
        return vals

    lines += ["", "## Scores", ""]
    header = "| task | clf | " + " | ".join(SAMPLER_NAMES[s] for s in SAMPLERS) + " |"
    for metric, title in (("bacc", "Balanced accuracy"), ("f1", "Macro-F1")):
        lines += [f"### {title}", "", header, "|---|---|" + "---|" * len(SAMPLERS)]
        for task in tasks:
            for clf in CLASSIFIERS:
                means = {s: cell(task, clf, s, metric).mean() for s in SAMPLERS}
                best = max(means.values())
                row = []
                for s in SAMPLERS:
                    v = cell(task, clf, s, metric)
                    text = f"{v.mean():.3f} ± {v.std(ddof=1) if len(v) > 1 else 0:.3f}"
                    row.append(f"**{text}**" if means[s] >= best - 1e-12 else text)
                lines.append(f"| {task} | {clf} | " + " | ".join(row) + " |")
        lines.append("")

    lines += [
        "## GANAugmenter minus SMOTE, paired over seeds",
        "",
        f"Mean difference with a 95% t confidence interval; wins/ties/losses over seeds "
        f"(tie: |difference| < {TIE}).",
        "",
        "| task | clf | Δ bal. acc [95% CI] | W/T/L | Δ macro-F1 [95% CI] | W/T/L |",
        "|---|---|---|---|---|---|",
    ]
    n_cells = ge_smote = ge_none = 0
    sum_gan = {c: [] for c in CLASSIFIERS}
    for task in tasks:
        for clf in CLASSIFIERS:
            row = [task, clf]
            for metric in ("bacc", "f1"):
                d = cell(task, clf, "GAN", metric) - cell(task, clf, "SMOTE", metric)
                mean, lo, hi = _ci(d)
                w, t, lo_n = (
                    int((d >= TIE).sum()),
                    int((abs(d) < TIE).sum()),
                    int((d <= -TIE).sum()),
                )
                row += [f"{mean:+.3f} [{lo:+.3f}, {hi:+.3f}]", f"{w}/{t}/{lo_n}"]
            lines.append("| " + " | ".join(row) + " |")
            gan = cell(task, clf, "GAN", "bacc").mean()
            n_cells += 1
            ge_smote += gan >= cell(task, clf, "SMOTE", "bacc").mean()
            ge_none += gan >= cell(task, clf, "none", "bacc").mean()
            sum_gan[clf].append(gan)
    lines += [
        "",
        f"**Summary (mean balanced accuracy):** GANAugmenter >= SMOTE on {ge_smote} of "
        f"{n_cells} (task, classifier) cells; GANAugmenter >= no resampling on {ge_none} of "
        f"{n_cells}.",
        "",
    ]
    overall = {
        s: np.mean([cell(t, c, s, "bacc").mean() for t in tasks for c in CLASSIFIERS])
        for s in SAMPLERS
    }
    lines.append(
        "Mean over all cells: "
        + ", ".join(f"{SAMPLER_NAMES[s]} {v:.3f}" for s, v in overall.items())
        + "."
    )

    lines += [
        "",
        "## Time",
        "",
        "Seconds of `fit_resample` per sampler (mean over seeds; GANAugmenter's includes "
        "training), and synthetic rows per second of `fit_resample` end to end. The last "
        "column is GANAugmenter's pure sampling rate (`sample(20000)` after fitting).",
        "",
        "| task | "
        + " | ".join(f"{SAMPLER_NAMES[s]} s" for s in ("ROS", "SMOTE", "GAN"))
        + " | GAN steps | synthetic rows | GAN rows/s end to end | GAN sampling rows/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for task in tasks:
        recs = [results[f"{task}/{s}"] for s in seeds]

        def m(sampler, key, recs=recs):
            return float(np.mean([r[sampler][key] for r in recs]))

        lines.append(
            f"| {task} | {m('ROS', 'fit_s'):.2f} | {m('SMOTE', 'fit_s'):.2f} | "
            f"{m('GAN', 'fit_s'):.1f} | {m('GAN', 'n_steps'):.0f} | {m('GAN', 'n_new'):.0f} | "
            f"{m('GAN', 'n_new') / m('GAN', 'fit_s'):,.0f} | "
            f"{m('GAN', 'sample_rows_per_s'):,.0f} |"
        )
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="GANAugmenter tabular benchmark")
    parser.add_argument("--quick", action="store_true", help="2 seeds, 3 tasks: a smoke run")
    parser.add_argument("--seeds", type=int, default=None, help="paired seeds (default 5)")
    parser.add_argument("--tasks", nargs="+", choices=list(TASKS), default=None)
    parser.add_argument("--out", default=str(Path(__file__).with_name("BENCHMARKS.md")))
    parser.add_argument("--cache", default=None, help="JSON file of finished results to reuse")
    parser.add_argument(
        "--gan",
        default="{}",
        help="extra GANAugmenter parameters as JSON, e.g. '{\"max_steps\": 800}'",
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help="torch threads for GANAugmenter (speed only); default: the estimator's default",
    )
    args = parser.parse_args(argv)
    tasks = args.tasks or (
        ["breast_cancer", "wine_1_vs_rest", "three_class"] if args.quick else list(TASKS)
    )
    seeds = list(range(args.seeds if args.seeds is not None else (2 if args.quick else 5)))
    gan_params = json.loads(args.gan)
    if args.n_jobs is not None:
        gan_params["n_jobs"] = args.n_jobs
    cache_path = Path(args.cache) if args.cache else None
    results: dict = {}
    key_params = json.dumps(gan_params, sort_keys=True)
    if cache_path and cache_path.exists():
        results = json.loads(cache_path.read_text()).get(key_params, {})
    start = time.perf_counter()
    # one thread for HGB/BLAS too: steadier timings on a shared two-core machine
    with threadpool_limits(1):
        # seed-major order: an interrupted run has whole seeds, which --seeds can report
        for seed in seeds:
            for task in tasks:
                key = f"{task}/{seed}"
                if key in results:
                    continue
                t0 = time.perf_counter()
                results[key] = run_one(task, seed, gan_params, SAMPLERS)
                r = results[key]
                print(
                    f"{key}: {time.perf_counter() - t0:.0f} s; bal.acc "
                    + " ".join(
                        f"{s}={r[s]['HGB']['bacc']:.3f}/{r[s]['LR']['bacc']:.3f}" for s in SAMPLERS
                    )
                    + " (HGB/LR)",
                    flush=True,
                )
                if cache_path:
                    everything = json.loads(cache_path.read_text()) if cache_path.exists() else {}
                    everything[key_params] = results
                    cache_path.write_text(json.dumps(everything))
    command = "python benchmarks/run.py " + " ".join(sys.argv[1:] if argv is None else argv)
    text = report(results, tasks, seeds, command.strip(), gan_params)
    Path(args.out).write_text(text + _other_sections(Path(args.out)))
    print(f"wrote {args.out} in {time.perf_counter() - start:.0f} s")
    return results


# The sections of BENCHMARKS.md that report() writes; the others (realism, images, GPU,
# memory) come from other scripts and are kept when this one rewrites the file.
_OWN_SECTIONS = ("Tasks", "Scores", "GANAugmenter minus SMOTE", "Time")


def _other_sections(path: Path) -> str:
    """The sections of an existing BENCHMARKS.md that other benchmarks wrote."""
    if not path.exists():
        return ""
    sections = path.read_text().split("\n## ")[1:]
    kept = [s for s in sections if not s.startswith(_OWN_SECTIONS)]
    return "".join("\n## " + s.rstrip("\n") + "\n" for s in kept)


if __name__ == "__main__":
    main()
