"""The bundled-data demo behind ``ganaug demo``."""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from ._augmenter import GANAugmenter

__all__ = ["make_imbalanced_breast_cancer", "run_tabular_demo"]


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


def run_tabular_demo(seeds: Iterable[int] = range(3), verbose: int = 0) -> dict[str, dict[str, float]]:
    """Print and return balanced accuracy and macro-F1 per sampler, averaged over seeds."""
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
    return summary
