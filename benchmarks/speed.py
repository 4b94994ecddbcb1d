"""Speed of GANAugmenter's defaults: fit time on a 1,000 x 30 table and sampling rate.

Run ``python benchmarks/speed.py``. Targets for the defaults: a fit on a
1,000-row, 30-column ``make_classification`` table in at most 20 s, and at least
100,000 generated rows per second.

The first fit in a process also pays one-time costs (torch's lazy imports and
kernel selection); it is reported separately as the cold fit, and the warm fit
time is the median of the next ``--repeats`` fits.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

from sklearn.datasets import make_classification  # noqa: E402

from ganaug import GANAugmenter  # noqa: E402

FIT_TARGET_S = 20.0
ROWS_PER_S_TARGET = 100_000


def make_table(n_rows: int = 1000, n_features: int = 30, seed: int = 0):
    """The benchmark table: 80/20 binary ``make_classification``."""
    return make_classification(
        n_samples=n_rows,
        n_features=n_features,
        n_informative=10,
        weights=[0.8, 0.2],
        random_state=seed,
    )


def timed_fit(X, y, seed: int) -> tuple[float, GANAugmenter]:
    """Wall-clock seconds of one default fit."""
    aug = GANAugmenter(random_state=seed)
    start = time.perf_counter()
    aug.fit(X, y)
    return time.perf_counter() - start, aug


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="warm fits to take the median of")
    parser.add_argument("--rows", type=int, default=200_000, help="rows to sample")
    args = parser.parse_args(argv)

    X, y = make_table()
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPU cores, {platform.python_version()}"
    )
    cold, aug = timed_fit(X, y, seed=0)
    print(f"cold fit (first in process, {aug.n_steps_} generator steps): {cold:.1f} s")
    warm = []
    for seed in range(1, args.repeats + 1):
        seconds, aug = timed_fit(X, y, seed=seed)
        warm.append(seconds)
        print(f"  warm fit {seed}: {seconds:.1f} s")
    median = statistics.median(warm)
    print(
        f"default fit, 1000 x 30, median of {args.repeats} warm fits: {median:.1f} s "
        f"(target <= {FIT_TARGET_S:.0f} s: {'met' if median <= FIT_TARGET_S else 'MISSED'})"
    )

    aug.sample(20_000, y=1)  # warm-up of the sampling path (allocations, thread pool)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        X_new, _ = aug.sample(args.rows, y=1)
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    rate = len(X_new) / seconds
    print(
        f"sample({args.rows:,}, y=1), median of 3: {seconds:.2f} s, {rate:,.0f} rows/s "
        f"(target >= {ROWS_PER_S_TARGET:,}: {'met' if rate >= ROWS_PER_S_TARGET else 'MISSED'}); "
        f"all: {', '.join(f'{len(X_new) / t:,.0f}' for t in times)} rows/s"
    )
    return {"cold_fit_s": cold, "fit_s": median, "rows_per_s": rate}


if __name__ == "__main__":
    main()
