"""Ablation of the realism filter: the same fitted GAN sampled with and without it.

``python benchmarks/realism_filter.py`` fits GANAugmenter (defaults, so the filter
is trained) once per table and seed on the tables and splits of
``benchmarks/realism.py``, then draws the synthetic rows that ``fit_resample``
would add twice with the same seed: once through the filter, once straight from
the model (the filter set aside). Any difference is the filter's. Each pool
factor in ``--pool-factors`` adds one more filtered draw. Reported per table and
on average: detection AUC, novelty share, rule violations (the measures of
``benchmarks/realism.py``), downstream balanced accuracy (logistic regression and
gradient boosting, averaged), the seconds the filter added to ``fit`` and the
seconds a draw took. Options: ``--seeds N`` (default 5), ``--tables a b``,
``--pool-factors 4 8``, ``--csv PATH``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import realism as bench  # noqa: E402
from sklearn.metrics import balanced_accuracy_score  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import ganaug.models.factory as factory_module  # noqa: E402
from ganaug import GANAugmenter  # noqa: E402

_filter_seconds: list[float] = []


def _timed_filter(*args, **kwargs):
    start = time.perf_counter()
    out = _train_filter(*args, **kwargs)
    _filter_seconds.append(time.perf_counter() - start)
    return out


# the estimator trains the filter inside fit; timing that call needs a wrapper
_train_filter = factory_module.train_realism_filter
factory_module.train_realism_filter = _timed_filter


def run_one(name: str, seed: int, pool_factors: list[int]) -> list[dict]:
    table = bench.TABLES[name](np.random.default_rng(1234))
    split = bench.make_split(table, seed)
    rules = [
        r
        for r in table.rules + bench.discovered_rules(split.X_train)
        if r.holds(split.X_train).all()
    ]
    start = time.perf_counter()
    aug = GANAugmenter(random_state=seed).fit(split.X_train, split.y_train)
    fit_s = time.perf_counter() - start
    counts = {c: n for c, n in aug.sampling_strategy_.items() if n > 0}
    trained = aug._realism
    rows = []
    for variant in ["off"] + [f"pool {k}" for k in pool_factors]:
        if variant == "off":
            aug._realism = None
        else:
            k = int(variant.split()[1])
            aug._realism = trained
            trained.settings = dataclasses.replace(trained.settings, pool_factor=k)
        start = time.perf_counter()
        synthetic, y_syn = aug.sample(counts, random_state=seed + 1000)
        row = {
            "table": name,
            "seed": seed,
            "variant": variant,
            "filter_fit_s": _filter_seconds[-1],
            "fit_s": fit_s,
            "sample_s": time.perf_counter() - start,
        }
        synthetic = synthetic.reset_index(drop=True)
        row.update(bench.realism(split, synthetic, np.asarray(y_syn), rules, seed))
        X_fit = pd.concat([split.X_train, synthetic], ignore_index=True)
        y_fit = np.r_[split.y_train, y_syn]
        row["bal_acc"] = float(
            np.mean(
                [
                    balanced_accuracy_score(
                        split.y_test,
                        bench.classifier(clf, split, balanced=False)
                        .fit(X_fit, y_fit)
                        .predict(split.X_test),
                    )
                    for clf in ("LR", "HGB")
                ]
            )
        )
        rows.append(row)
        print(
            f"  {name} seed {seed} {variant}: det AUC {row['det_auc']:.3f}, "
            f"novelty {row['novelty']:.3f}, bal. acc {row['bal_acc']:.3f}",
            flush=True,
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--tables", nargs="*", default=list(bench.TABLES))
    parser.add_argument("--pool-factors", nargs="*", type=int, default=[4])
    parser.add_argument("--csv", default=None, help="write every row here")
    args = parser.parse_args(argv)
    rows = []
    with threadpool_limits(1):
        for seed in range(args.seeds):
            for name in args.tables:
                rows += run_one(name, seed, args.pool_factors)
    results = pd.DataFrame(rows)
    if args.csv:
        results.to_csv(args.csv, index=False)
    shown = ["det_auc", "novelty", "rules", "bal_acc", "filter_fit_s", "fit_s", "sample_s"]
    print(results.groupby(["table", "variant"])[shown].mean().round(3).to_string())
    print(results.groupby("variant")[shown].mean().round(3).to_string())


if __name__ == "__main__":
    main()
