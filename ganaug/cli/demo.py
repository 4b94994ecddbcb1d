"""The bundled-data demo behind ``ganaug demo``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from .._augmenter import GANAugmenter

__all__ = [
    "make_imbalanced_breast_cancer",
    "make_imbalanced_digits",
    "run_image_demo",
    "run_tabular_demo",
]


def make_imbalanced_breast_cancer(
    seed: int, minority_fraction: float = 0.15
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Breast-cancer train/test split with the malignant class thinned in training only.

    Returns
    -------
    X_train, X_test, y_train, y_test
    """
    X, y = load_breast_cancer(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
    rng = np.random.default_rng(seed)
    minority = np.flatnonzero(y_tr == 0)
    keep_minority = rng.choice(minority, int(len(minority) * minority_fraction), replace=False)
    keep = np.sort(np.concatenate([np.flatnonzero(y_tr == 1), keep_minority]))
    return X_tr[keep], X_te, y_tr[keep], y_te


def run_tabular_demo(
    seeds: Iterable[int] = range(3), verbose: int = 0, plot_dir: str | None = None
) -> dict[str, dict[str, float]]:
    """Print and return balanced accuracy and macro-F1 per sampler, averaged over seeds.

    With ``plot_dir``, the last GANAugmenter's loss curve is saved there as
    ``tabular_losses.png`` (needs matplotlib).
    """
    samplers = {
        "no resampling": lambda s: None,
        "SMOTE": lambda s: SMOTE(random_state=s),
        "GANAugmenter": lambda s: GANAugmenter(random_state=s, verbose=verbose),
    }
    scores: dict[str, dict[str, list[float]]] = {
        name: {"balanced_accuracy": [], "macro_f1": [], "seconds": []} for name in samplers
    }
    seeds = list(seeds)
    X_tr, _, y_tr, _ = make_imbalanced_breast_cancer(seeds[0])
    print(
        f"Breast cancer, malignant class cut to 15% of the training split: "
        f"{int((y_tr == 0).sum())} malignant vs {int((y_tr == 1).sum())} benign training rows; "
        f"logistic regression; {len(seeds)} splits."
    )
    for seed in seeds:
        X_tr, X_te, y_tr, y_te = make_imbalanced_breast_cancer(seed)
        for name, make in samplers.items():
            sampler = make(seed)
            steps = [StandardScaler()] + ([sampler] if sampler is not None else [])
            model = make_pipeline(*steps, LogisticRegression(max_iter=2000))
            start = time.perf_counter()
            model.fit(X_tr, y_tr)
            if isinstance(sampler, GANAugmenter):
                last_gan = sampler
            pred = model.predict(X_te)
            scores[name]["seconds"].append(time.perf_counter() - start)
            scores[name]["balanced_accuracy"].append(balanced_accuracy_score(y_te, pred))
            scores[name]["macro_f1"].append(f1_score(y_te, pred, average="macro"))
    print(f"{'sampler':<16}{'balanced acc':>14}{'macro-F1':>11}{'fit s':>8}")
    summary = {}
    for name, s in scores.items():
        summary[name] = {k: float(np.mean(v)) for k, v in s.items()}
        print(
            f"{name:<16}{summary[name]['balanced_accuracy']:>14.3f}"
            f"{summary[name]['macro_f1']:>11.3f}{summary[name]['seconds']:>8.1f}"
        )
    if plot_dir is not None:
        from ..plotting import plot_history

        _save_figure(
            lambda path: plot_history(last_gan, path),
            Path(plot_dir) / "tabular_losses.png",
            "loss curve of the last GANAugmenter fit",
        )
    return summary


def make_imbalanced_digits(
    seed: int, minority_fraction: float = 0.1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Digits (8x8, float in [0, 1]) with classes 0-4 thinned to 10% in training only.

    Returns
    -------
    X_train, X_test, y_train, y_test, X_train_all, y_train_all
        The last two are the training split before thinning.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)
    X_tr, X_te, y_tr, y_te = train_test_split(
        images, digits.target, test_size=0.3, stratify=digits.target, random_state=seed
    )
    rng = np.random.default_rng(seed)
    keep = [
        rng.choice(rows, max(2, int(len(rows) * minority_fraction)), replace=False)
        if c < 5
        else rows
        for c in range(10)
        for rows in [np.flatnonzero(y_tr == c)]
    ]
    keep = np.sort(np.concatenate(keep))
    return X_tr[keep], X_te, y_tr[keep], y_te, X_tr, y_tr


def run_image_demo(
    out: str | None = "ganaug-demo",
    seed: int = 0,
    verbose: int = 0,
    **gan_params: object,
) -> dict[str, float]:
    """Digits with classes 0-4 at 10% of training: GANAugmenter against oversamplers.

    Prints the balanced accuracy of a logistic regression trained without
    resampling, with ``RandomOverSampler``, ``SMOTE`` and ``GANAugmenter``, and
    the label fidelity of the synthetic digits (the share that a logistic
    regression trained on all real training digits reads as their class).
    Writes ``digits_real_vs_synthetic.png`` to ``out`` (real digits on the
    left, synthetic ones on the right, one row per class) unless ``out`` is None.

    Returns
    -------
    dict
        Balanced accuracy per sampler, ``label_fidelity``, ``fit_seconds``,
        ``steps_per_second`` and ``images_per_second``.
    """
    from imblearn.over_sampling import RandomOverSampler

    X_tr, X_te, y_tr, y_te, X_all, y_all = make_imbalanced_digits(seed)
    flat = lambda a: a.reshape(len(a), -1)  # noqa: E731
    counts = np.bincount(y_tr)
    print(
        f"Digits (8x8), classes 0-4 cut to 10% of the training split: {counts[:5].tolist()} "
        f"images of 0-4 vs {counts[5:].tolist()} of 5-9; logistic regression on pixels."
    )
    gan = GANAugmenter(random_state=seed, verbose=verbose, **gan_params)
    start = time.perf_counter()
    gan.fit(X_tr, y_tr)
    fit_seconds = time.perf_counter() - start
    counts_wanted = {c: n for c, n in gan.sampling_strategy_.items() if n > 0}
    start = time.perf_counter()
    X_syn, y_syn = gan.sample(counts_wanted, random_state=seed)
    images_per_second = len(X_syn) / max(time.perf_counter() - start, 1e-9)
    resampled = {
        "no resampling": (flat(X_tr), y_tr),
        "RandomOverSampler": RandomOverSampler(random_state=seed).fit_resample(flat(X_tr), y_tr),
        "SMOTE": SMOTE(random_state=seed).fit_resample(flat(X_tr), y_tr),
        "GANAugmenter": (np.r_[flat(X_tr), flat(X_syn)], np.r_[y_tr, y_syn]),
    }
    summary: dict[str, float] = {}
    print(f"{'sampler':<20}{'balanced acc':>14}")
    for name, (X_fit, y_fit) in resampled.items():
        model = LogisticRegression(max_iter=3000).fit(X_fit, y_fit)
        summary[name] = float(balanced_accuracy_score(y_te, model.predict(flat(X_te))))
        print(f"{name:<20}{summary[name]:>14.3f}")
    reader = LogisticRegression(max_iter=3000).fit(flat(X_all), y_all)
    summary["label_fidelity"] = float((reader.predict(flat(X_syn)) == y_syn).mean())
    summary["fit_seconds"] = fit_seconds
    summary["steps_per_second"] = gan.n_steps_ / fit_seconds
    summary["images_per_second"] = images_per_second
    print(
        f"label fidelity of {len(X_syn)} synthetic digits: {summary['label_fidelity']:.3f} "
        f"(fit {fit_seconds:.0f} s, {gan.n_steps_} steps)"
    )
    if out is not None:
        from ..plotting import sample_grid

        # per class, 8 real digits then 8 synthetic ones, dark strokes on white
        _save_figure(
            lambda path: sample_grid(gan, X_tr, y_tr, path, random_state=seed, cmap="gray_r"),
            Path(out) / "digits_real_vs_synthetic.png",
            "real (left) and synthetic (right) digits",
        )
    return summary


def _save_figure(draw: Callable[[Path], object], path: Path, what: str) -> None:
    """Draw a figure into ``path`` and say where it is.

    Without matplotlib (the optional ``plot`` extra) it says why there is no
    figure and goes on: the scores printed before it stand.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        draw(path)
    except ImportError as exc:
        print(f"no {path.name}: {exc}")
    else:
        print(f"{what}: {path}")
