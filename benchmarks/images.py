"""Image benchmarks: classes 0-4 cut to 10% of the others in training.

Run ``python benchmarks/images.py --data digits28`` (or ``digits8``,
``shapes32``); ``--quick`` runs one seed on half the data for iteration.

- ``digits28``: MNIST-size digits (2,200 training images of 28x28 grayscale,
  classes 0-4 at 40 each) drawn from scikit-learn's 8x8 digits with random
  distortions (``benchmarks/image_data.py``); 2,000 test images.
- ``digits8``: the bundled 8x8 digits themselves (690 training images, classes
  0-4 at 12 each; ``ganaug.cli.demo.make_imbalanced_digits``).
- ``shapes32``: 32x32 RGB shapes, ten classes that differ in shape and colour
  (2,200 training images, classes 0-4 at 40 each).

Each seed draws its own split. A logistic regression on pixels is trained on
the training images without resampling, with ``class_weight="balanced"``, with
RandomOverSampler, SMOTE and GANAugmenter (real plus synthetic images), and
scored by balanced accuracy on the untouched test split. Label fidelity is the
share of synthetic images that a logistic regression trained on all the real
training images (before the cut) reads as their class; ``reader`` is what that
classifier scores on real test images, the ceiling to read fidelity against.
``ungated`` (with its ``fid_`` and ``det_`` columns) scores what the same
fitted networks draw without the label gate (``filter_samples=False``; the gate
is on by default for images), ``gated`` what they draw through one when the fit
had none. ``detect`` is the realism score: the cross-validated AUC
of a logistic regression on pooled pixels telling real training images from
as many synthetic ones per class (0.5: it cannot tell them apart).
``detect_test`` is the same against held-out (test) real images, with the
training split's class counts, so that matching the training images' class
means earns nothing; ``detect_real`` scores those held-out real images in place
of synthetic ones (what a perfect generator would score on ``detect``). With
``--ablate``, ``no_final`` (with its ``fid_``, ``det_`` and ``dtest_``
columns) scores the same fitted networks sampled without the second mean shift,
and ``no_map`` without the intensity map and that shift (how ganaug sampled
before each); with truncation on, ``no_trunc`` and ``neither`` score them
without truncation, or without it and the map.

Targets of issue 11 (mean over 5 paired seeds, defaults): label fidelity
>= 0.95; GANAugmenter >= RandomOverSampler + 0.01; a default fit on 2,000
images of 28x28 in <= 180 s on the 2-core development machine. Results and the
commands that made them are in ``benchmarks/BENCHMARKS.md``.

Fit times depend on what else runs: each row records the 1-minute load average
at the end of the fit; compare configurations by steps/s measured back to back.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import time

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from imblearn.over_sampling import SMOTE, RandomOverSampler  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import balanced_accuracy_score  # noqa: E402

from ganaug import GANAugmenter  # noqa: E402

FIDELITY_TARGET = 0.95
MARGIN_OVER_ROS = 0.01
FIT_TARGET_S = 180.0
BASELINES = ["none", "balanced", "ROS", "SMOTE"]


def load(name: str, seed: int, quick: bool):
    """``X_train, X_test, y_train, y_test, X_train_all, y_train_all`` of a data set."""
    from image_data import make_colour_shapes, make_distorted_digits

    size = {"per_class": 200, "test_per_class": 100} if quick else {}
    if name == "digits28":
        return make_distorted_digits(seed, **size)
    if name == "shapes32":
        return make_colour_shapes(seed, **size)
    from ganaug.cli.demo import make_imbalanced_digits

    return make_imbalanced_digits(seed)


def _score(X: np.ndarray, y: np.ndarray, X_te: np.ndarray, y_te: np.ndarray, **kw) -> float:
    flat = lambda a: a.reshape(len(a), -1)  # noqa: E731
    model = LogisticRegression(max_iter=3000, **kw).fit(flat(X), y)
    return float(balanced_accuracy_score(y_te, model.predict(flat(X_te))))


def run_seed(
    data: str,
    seed: int,
    quick: bool,
    params: dict,
    checkpoints: list[int] | None = None,
    ablate: bool = False,
) -> list[dict[str, float]]:
    """Every sampler on one seed's split: one row per GAN checkpoint.

    With ``checkpoints`` (increasing step counts) the GAN trains on with
    ``warm_start`` and is scored at each: the same training as one fit of that
    many steps (the trainer's state and random stream carry over), read at
    several budgets.
    """
    X_tr, X_te, y_tr, y_te, X_all, y_all = load(data, seed, quick)
    flat = X_tr.reshape(len(X_tr), -1)
    base: dict[str, float] = {"seed": seed}
    base["none"] = _score(X_tr, y_tr, X_te, y_te)
    base["balanced"] = _score(X_tr, y_tr, X_te, y_te, class_weight="balanced")
    for name, sampler in (("ROS", RandomOverSampler), ("SMOTE", SMOTE)):
        X_res, y_res = sampler(random_state=seed).fit_resample(flat, y_tr)
        base[name] = _score(X_res, y_res, X_te, y_te)
    reader = LogisticRegression(max_iter=3000).fit(X_all.reshape(len(X_all), -1), y_all)
    base["reader"] = float((reader.predict(X_te.reshape(len(X_te), -1)) == y_te).mean())
    held_out = _held_out(X_te, y_te, y_tr)
    # held-out real images in place of synthetic ones: what a perfect generator scores
    base["detect_real"] = pixel_detection_auc(np.unique(y_tr), X_tr, y_tr, *held_out, seed)
    gan = GANAugmenter(random_state=seed, warm_start=bool(checkpoints), **params)
    rows, fit_s = [], 0.0
    for target in checkpoints or [None]:
        if target is not None:
            gan.set_params(max_steps=target - getattr(gan, "n_steps_", 0))
        start = time.perf_counter()
        gan.fit(X_tr, y_tr)
        fit_s += time.perf_counter() - start
        r = {**base, "fit_s": fit_s, "load": os.getloadavg()[0], "steps": gan.n_steps_}
        r["steps_per_s"] = gan.n_steps_ / fit_s
        wanted = {c: n for c, n in gan.sampling_strategy_.items() if n > 0}
        start = time.perf_counter()
        X_syn, y_syn = gan.sample(wanted, random_state=seed)
        r["images_per_s"] = len(X_syn) / max(time.perf_counter() - start, 1e-9)
        r["GAN"] = _score(np.r_[X_tr, X_syn], np.r_[y_tr, y_syn], X_te, y_te)
        r["fidelity"] = float((reader.predict(X_syn.reshape(len(X_syn), -1)) == y_syn).mean())
        r["detect"] = _detection_auc(gan, X_tr, y_tr, seed)
        # against held-out real images: no credit for matching the training images' means
        r["detect_test"] = _detection_auc(gan, *held_out, seed)
        if ablate:
            r.update(_ablations(gan, X_tr, y_tr, X_te, y_te, reader, wanted, seed))
        # the other side of the label gate, from the same networks
        r.update(_other_side_of_gate(gan, X_tr, y_tr, X_te, y_te, reader, wanted, seed))
        rows.append(r)
    return rows


def _held_out(X_te: np.ndarray, y_te: np.ndarray, y_tr: np.ndarray) -> tuple:
    """Test images with the training split's class counts (as many as the test split has)."""
    rows = [np.flatnonzero(y_te == c)[: int((y_tr == c).sum())] for c in np.unique(y_tr)]
    keep = np.concatenate(rows)
    return X_te[keep], y_te[keep]


def _detection_auc(gan: GANAugmenter, X: np.ndarray, y: np.ndarray, seed: int) -> float:
    """Cross-validated AUC of a pixel classifier telling real images ``X`` from synthetic.

    ``X`` are the training images, or held-out ones (:func:`_held_out`).

    As many synthetic images per class as real ones (see :func:`pixel_detection_auc`).
    """
    counts = {c: int((y == c).sum()) for c in gan.classes_}
    X_syn, y_syn = gan.sample(counts, random_state=seed + 500)
    return pixel_detection_auc(gan.classes_, X, y, X_syn, y_syn, seed)


def pixel_detection_auc(
    classes: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    X_syn: np.ndarray,
    y_syn: np.ndarray,
    seed: int,
) -> float:
    """Cross-validated AUC of a pixel classifier telling real images ``X`` from ``X_syn``.

    Pixels average-pooled to at most 16x16 and standardised, the class one-hot
    beside them (a logistic regression, C=0.1, 5 folds). 0.5: the classifier
    cannot tell them apart.
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from torch.nn import functional as F

    def pooled(a: np.ndarray) -> np.ndarray:
        t = torch.as_tensor(a, dtype=torch.float32)
        t = t[:, None] if t.ndim == 3 else t.permute(0, 3, 1, 2)
        return (F.adaptive_avg_pool2d(t, 16) if t.shape[-1] > 16 else t).flatten(1).numpy()

    labels = np.searchsorted(classes, np.r_[y, y_syn])
    features = np.c_[np.r_[pooled(X), pooled(X_syn)], np.eye(len(classes))[labels]]
    real = np.r_[np.ones(len(X)), np.zeros(len(X_syn))]
    detector = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.1))
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    return float(cross_val_score(detector, features, real, cv=folds, scoring="roc_auc").mean())


def _ablations(gan, X_tr, y_tr, X_te, y_te, reader, wanted: dict, seed: int) -> dict[str, float]:
    """Scores of the same fitted networks without some of the steps after training.

    ``no_final``: without the second mean shift (after the intensity map), as
    ganaug sampled before it; ``no_map``: without the intensity map and the
    shift after it, as ganaug sampled before the map. When the fit truncated,
    ``no_trunc`` and ``neither`` also drop the truncation. ``dtest_`` columns
    are the detection AUC against held-out real images.
    """
    model, out = gan.model_, {}
    steps = ("truncation", "intensities", "final_shift")
    kept = {name: getattr(model, name) for name in steps}
    variants = {"no_final": {"final_shift": None}}
    variants["no_map"] = {"intensities": None, "final_shift": None}
    if kept["truncation"] is not None:  # with truncation="auto" or a number
        variants["no_trunc"] = {"truncation": None}
        variants["neither"] = {"truncation": None, "intensities": None, "final_shift": None}
    held_out = _held_out(X_te, y_te, y_tr)
    for name, changes in variants.items():
        for attr, value in changes.items():
            setattr(model, attr, value)
        try:
            X_syn, y_syn = gan.sample(wanted, random_state=seed)
            out[name] = _score(np.r_[X_tr, X_syn], np.r_[y_tr, y_syn], X_te, y_te)
            out["fid_" + name] = float(
                (reader.predict(X_syn.reshape(len(X_syn), -1)) == y_syn).mean()
            )
            out["det_" + name] = _detection_auc(gan, X_tr, y_tr, seed)
            out["dtest_" + name] = _detection_auc(gan, *held_out, seed)
        finally:
            for attr, value in kept.items():
                setattr(model, attr, value)
    return out


def _other_side_of_gate(gan, X_tr, y_tr, X_te, y_te, reader, wanted: dict, seed: int) -> dict:
    """Scores of the same networks drawn without the label gate (``ungated``), or
    through one (``gated``) when the fit had none (``filter_samples=False``).

    The gate is on by default for images; the one fitted here uses ganaug's
    internals. The fit's own gate is restored afterwards.
    """
    from ganaug.inputs.images import check_image_data
    from ganaug.sampling.gate import fit_gate

    kept = gan._gate
    name = "ungated" if kept is not None else "gated"
    try:
        if kept is not None:
            gan._gate = None
        else:
            checked, _ = check_image_data(X_tr, y_tr, "auto")
            y_idx = np.searchsorted(gan.classes_, y_tr)
            gan._gate, _ = fit_gate(gan.model_, checked, y_idx, gan.classes_, seed, enabled=True)
        X_syn, y_syn = gan.sample(wanted, random_state=seed)
        return {
            name: _score(np.r_[X_tr, X_syn], np.r_[y_tr, y_syn], X_te, y_te),
            "fid_" + name: float((reader.predict(X_syn.reshape(len(X_syn), -1)) == y_syn).mean()),
            "det_" + name: _detection_auc(gan, X_tr, y_tr, seed),
        }
    finally:
        gan._gate = kept


def summary(runs: list[dict[str, float]]) -> str:
    """One row per seed, the mean, and the targets checked on the mean."""
    cols = [*BASELINES, "GAN", "fidelity", "detect"]
    cols += [c for c in ("detect_test", "detect_real") if c in runs[0]]
    cols += ["reader"]
    for name in ("gated", "ungated", "no_final", "no_trunc", "no_map", "neither"):
        cols += [c for c in (name, "fid_" + name, "det_" + name, "dtest_" + name) if c in runs[0]]
    lines = [
        f"{'seed':<6}"
        + "".join(f"{c:>13}" for c in cols)
        + f"{'fit s':>8}{'steps':>7}{'steps/s':>9}{'load':>6}"
    ]
    for r in runs:
        lines.append(
            f"{r['seed']:<6}"
            + "".join(f"{r[c]:>13.3f}" for c in cols)
            + f"{r['fit_s']:>8.0f}{r['steps']:>7.0f}{r['steps_per_s']:>9.2f}{r['load']:>6.1f}"
        )
    mean = {c: float(np.mean([r[c] for r in runs])) for c in [*cols, "fit_s"]}
    lines.append(
        f"{'mean':<6}" + "".join(f"{mean[c]:>13.3f}" for c in cols) + f"{mean['fit_s']:>8.0f}"
    )
    diffs = [r["GAN"] - r["ROS"] for r in runs]
    checks = {
        f"fidelity >= {FIDELITY_TARGET}": mean["fidelity"] >= FIDELITY_TARGET,
        f"GAN >= ROS + {MARGIN_OVER_ROS}": mean["GAN"] >= mean["ROS"] + MARGIN_OVER_ROS,
        f"fit <= {FIT_TARGET_S:.0f} s": max(r["fit_s"] for r in runs) <= FIT_TARGET_S,
    }
    lines.append(
        "GAN - ROS per seed: "
        + ", ".join(f"{d:+.3f}" for d in diffs)
        + f"; GAN >= ROS on {sum(d >= 0 for d in diffs)} of {len(runs)}; "
        + ", ".join(f"{k}: {'ok' if v else 'MISSED'}" for k, v in checks.items())
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=["digits28", "digits8", "shapes32"], default="digits28")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--quick", action="store_true", help="seed 0 only, half the images")
    parser.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="NAME=VALUE",
        help="GANAugmenter parameters, e.g. max_steps=500 filter_samples=True",
    )
    parser.add_argument(
        "--checkpoints",
        type=int,
        nargs="*",
        default=None,
        help="score the GAN at these step counts of one warm-started run",
    )
    parser.add_argument(
        "--ablate",
        action="store_true",
        help="also score the same fits without truncation, the intensity map, or both",
    )
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args()
    params = {k: _value(v) for k, v in (item.split("=", 1) for item in args.set)}
    seeds = args.seeds[:1] if args.quick else args.seeds
    print(
        f"{args.data}{' (quick)' if args.quick else ''}; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"torch {torch.__version__}; GANAugmenter({params})"
    )
    runs = []
    for seed in seeds:
        runs += run_seed(args.data, seed, args.quick, params, args.checkpoints, args.ablate)
        for r in runs[-len(args.checkpoints or [None]) :]:
            print({k: round(v, 3) for k, v in r.items()}, flush=True)
    for steps in sorted({r["steps"] for r in runs}):
        print(f"\n== {steps} steps")
        print(summary([r for r in runs if r["steps"] == steps]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"data": args.data, "params": params, "runs": runs}, f, indent=1)


def _value(text: str) -> object:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text  # a plain string such as loss=hinge


if __name__ == "__main__":
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
