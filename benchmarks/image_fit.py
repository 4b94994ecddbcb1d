"""Wall time of one default image fit: issue 11's "2,000 images of 28x28 in 180 s".

Run ``python benchmarks/image_fit.py`` on an otherwise idle machine. It fits
``GANAugmenter(random_state=0)`` with its defaults on 2,000 MNIST-size digits
(``benchmarks/image_data.py``, seed 0: 40 images of each of 0-4 and 360 of each
of 5-9) and prints the fit time, the steps, the steps/s, the training precision
and the load average before and after. ``--set name=value`` passes parameters
(``--set mixed_precision=False`` for the float32 fit); ``--repeat`` fits again
after the first, each configuration in turn, so that configurations are compared
back to back.
"""

from __future__ import annotations

import argparse
import ast
import os
import platform
import time

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from image_data import make_distorted_digits  # noqa: E402

from ganaug import GANAugmenter  # noqa: E402

FIT_TARGET_S = 180.0


def two_thousand_digits() -> tuple[np.ndarray, np.ndarray]:
    """2,000 training digits of 28x28: 40 of each of 0-4, 360 of each of 5-9."""
    split = make_distorted_digits(0, per_class=400)
    X, y = split[0], split[2]
    keep = np.concatenate([np.flatnonzero(y == c)[: 40 if c < 5 else 360] for c in range(10)])
    return X[np.sort(keep)], y[np.sort(keep)]


def fit_once(X: np.ndarray, y: np.ndarray, params: dict) -> dict:
    """One fit; its time, steps and precision."""
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    aug = GANAugmenter(random_state=0, **params).fit(X, y)
    seconds = time.perf_counter() - start
    return {
        "params": params,
        "fit_s": round(seconds, 1),
        "steps": aug.n_steps_,
        "steps_per_s": round(aug.n_steps_ / seconds, 2),
        "precision": aug.model_.trainer.precision,
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE", action="append")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    configs = [
        {k: _value(v) for k, v in (item.split("=", 1) for item in group)}
        for group in (args.set or [[]])
    ]
    print(f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}")
    X, y = two_thousand_digits()
    print(f"{len(X)} images of {X.shape[1]}x{X.shape[2]}, classes {np.bincount(y).tolist()}")
    for _ in range(args.repeat):
        for params in configs:
            row = fit_once(X, y, params)
            verdict = "ok" if row["fit_s"] <= FIT_TARGET_S else "MISSED"
            print(f"{row}  target {FIT_TARGET_S:.0f} s: {verdict}", flush=True)


def _value(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


if __name__ == "__main__":
    main()
