"""The per-class report behind ``GANAugmenter.quality_report``, from values only.

- :func:`read_labelled`: checks held-out (or training) samples and their labels.
- :func:`quality_table`: label fidelity, detection AUC and distance-to-closest-
  record ratio per class on numeric features (tables and images).
- :func:`realism_table`: for tables, SMOTE's detection AUC on the same rows,
  impossible (class, category) pairs, rule violations, grid share and novelty
  share, from the measures in :mod:`ganaug.realism_metrics`.
- :func:`quality_report`: both, joined.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

from ._scalars import plain
from .realism_metrics import (
    RowFeatures,
    detection_auc,
    discovered_rules,
    grid_share,
    impossible_pairs,
    novelty_share,
    smote_rows,
)
from .sampling.gate import _classifier
from .sampling.rules import broken_rows

__all__ = [
    "quality_report",
    "quality_table",
    "read_labelled",
    "read_report_data",
    "realism_table",
    "report_counts",
]


def read_labelled(
    X: Any,
    y: Any,
    what: str,
    *,
    kind: str,
    image_layout: str,
    categorical_features: Any,
    columns: list[Hashable] | None,
    classes: np.ndarray,
) -> tuple[Any, np.ndarray]:
    """Check real samples ``X`` (named ``what`` in errors) and map labels ``y`` to class indices.

    Returns the samples as the model reads them (a DataFrame, or an image
    tensor) and their class indices. ``columns`` are the fitted table's columns.
    """
    from .encoders.image import check_images
    from .inputs.labels import check_labels, class_indices
    from .inputs.table import check_table

    label = "y" if what == "X" else f"y{what[1:]}"
    if y is None:
        raise ValueError(f"{what} was given without {label}; pass their labels too.")
    if X is None:
        raise ValueError(f"{label} was given without {what}; pass the rows they label too.")
    if kind == "image":
        data, _ = check_images(X, image_layout)
    else:
        data, info = check_table(X, categorical_features)
        if columns is not None and list(info.columns) != list(columns):
            raise ValueError(
                f"{what} has columns {list(info.columns)}, but the augmenter was fitted on "
                f"{list(columns)}; pass rows with the same columns in the same order."
            )
    return data, class_indices(check_labels(y, len(data)), classes, label)


def read_report_data(
    X: Any, y: Any, X_train: Any, y_train: Any, **fitted: Any
) -> tuple[Any, np.ndarray, Any, np.ndarray | None]:
    """:func:`read_labelled` for the held-out rows and, when given, the training rows.

    ``fitted`` holds the keyword arguments of :func:`read_labelled`.
    """
    real, y_idx = read_labelled(X, y, "X", **fitted)
    if X_train is None and y_train is None:
        return real, y_idx, None, None
    return (real, y_idx, *read_labelled(X_train, y_train, "X_train", **fitted))


def report_counts(y_idx: np.ndarray, classes: np.ndarray) -> dict[Any, int]:
    """Synthetic samples to draw per class label: as many as held out, at least 100."""
    counts = np.bincount(y_idx, minlength=len(classes))
    return {plain(c): max(int(n), 100) for c, n in zip(classes, counts, strict=True) if n}


def _median_nn_distance(reference: np.ndarray, queries: np.ndarray, exclude_self: bool) -> float:
    k = 2 if exclude_self else 1
    if len(reference) < k or len(queries) == 0:
        return float("nan")
    nn = NearestNeighbors(n_neighbors=k).fit(reference)
    dist, _ = nn.kneighbors(queries)
    return float(np.median(dist[:, k - 1]))


def quality_table(
    real: np.ndarray,
    y_real: np.ndarray,
    synthetic: np.ndarray,
    y_synthetic: np.ndarray,
    classes: np.ndarray,
    seed: int = 0,
    detect: bool = True,
) -> pd.DataFrame:
    """Label fidelity, detection AUC and DCR ratio per class, on numeric features.

    Parameters
    ----------
    real, synthetic : ndarray of shape (n, n_features)
        Features of held-out real samples and of synthetic samples.
    y_real, y_synthetic : ndarray of shape (n,)
        Their class indices.
    classes : ndarray
        Class labels, indexed by the class indices.

    Returns
    -------
    DataFrame, one row per class present in ``y_real``, with columns ``n_real``,
    ``n_synthetic``, ``label_fidelity`` (share of synthetic samples that a
    class-balanced logistic regression trained on the held-out real data
    assigns to their class), ``detection_auc`` (:func:`detection_auc` on all held-out real
    samples of the class) and ``dcr_ratio`` (median distance from a synthetic
    sample to its closest held-out real sample of the class, over the median
    distance from a held-out real sample to its closest other one; near 0 for
    copies). With ``detect=False``, ``detection_auc`` is NaN (not measured).
    """
    scaler = StandardScaler().fit(real)
    real_s, syn_s = scaler.transform(real), scaler.transform(synthetic)
    present = np.unique(y_real)
    fidelity = {}
    if len(present) >= 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = _classifier(seed, scaled=True).fit(real, y_real)
        predicted = reader.predict(synthetic) if len(synthetic) else np.zeros(0, dtype=np.int64)
        for c in present:
            mask = y_synthetic == c
            fidelity[c] = float((predicted[mask] == c).mean()) if mask.any() else float("nan")
    rows = []
    for c in present:
        r, s = real_s[y_real == c], syn_s[y_synthetic == c]
        dcr = _median_nn_distance(r, s, exclude_self=False) / _median_nn_distance(
            r, r, exclude_self=True
        )
        rows.append(
            {
                "class": classes[c],
                "n_real": int(len(r)),
                "n_synthetic": int(len(s)),
                "label_fidelity": fidelity.get(c, float("nan")),
                "detection_auc": detection_auc(r, s, seed) if detect else float("nan"),
                "dcr_ratio": dcr,
            }
        )
    return pd.DataFrame(rows).set_index("class")


def _halves(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A boolean mask picking a random half of the rows of every class."""
    first = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == c))
        first[rows[: len(rows) // 2]] = True
    return first


def realism_table(
    real: pd.DataFrame,
    y_real: np.ndarray,
    synthetic: pd.DataFrame,
    y_synthetic: np.ndarray,
    classes: np.ndarray,
    *,
    categorical: Sequence[Hashable],
    rules: Sequence[Any] | None = None,
    train: pd.DataFrame | None = None,
    y_train: np.ndarray | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Realism of synthetic table rows per class (the table columns of ``quality_report``).

    ``detection_auc`` and ``detection_auc_smote`` share their real side: the
    held-out rows of every class are cut in two halves; one half feeds SMOTE(NC)
    and the other is the real side for both detectors, then the halves swap and
    the two AUCs are averaged (NaN below 12 held-out rows of a class). Category
    support, rules and grids are read from ``train`` when given, else from
    ``real``; ``rules`` (objects with ``holds(frame)``) are used as given.
    ``novelty_share`` needs ``train`` (NaN without it).
    """
    reference, y_ref = (real, y_real) if train is None else (train, y_train)
    view = RowFeatures(reference, categorical)
    numeric = view.numeric
    real_d, syn_d = view.detection(real), view.detection(synthetic)
    rng = np.random.default_rng(seed)
    first = _halves(y_real, rng)
    present = np.unique(y_real)
    auc: dict[str, dict[int, list[float]]] = {"gan": {}, "smote": {}}
    for feed in (first, ~first):
        side = ~feed
        counts = {int(c): int(np.sum(side & (y_real == c))) for c in present}
        smoted, y_smoted = smote_rows(real[feed], y_real[feed], categorical, counts, seed)
        smoted_d = view.detection(smoted)
        for c in present:
            r = real_d[side & (y_real == c)]
            auc["gan"].setdefault(c, []).append(detection_auc(r, syn_d[y_synthetic == c], seed))
            auc["smote"].setdefault(c, []).append(detection_auc(r, smoted_d[y_smoted == c], seed))
    rules = discovered_rules(reference, categorical) if rules is None else list(rules)
    broken = broken_rows(synthetic, rules) if rules and len(synthetic) else None
    rows = []
    for c in present:
        mine = y_synthetic == c
        syn_c, ref_c = synthetic[mine], reference[y_ref == c]
        novelty = float("nan")
        if train is not None:
            novelty = novelty_share(
                view.distance(ref_c), view.distance(real[y_real == c]), view.distance(syn_c)
            )
        rows.append(
            {
                "class": classes[c],
                "detection_auc": float(np.mean(auc["gan"][c])),
                "detection_auc_smote": float(np.mean(auc["smote"][c])),
                "impossible_pairs": _share(impossible_pairs(ref_c, syn_c, categorical)),
                "rule_violations": _share(broken[mine]) if broken is not None else 0.0,
                "on_grid": grid_share(reference, syn_c, numeric),
                "novelty_share": novelty,
            }
        )
    return pd.DataFrame(rows).set_index("class")


def _share(mask: np.ndarray) -> float:
    return float(np.mean(mask)) if len(mask) else float("nan")


def quality_report(
    real: Any,
    y_real: np.ndarray,
    synthetic: Any,
    y_synthetic: np.ndarray,
    classes: np.ndarray,
    *,
    featurize: Callable[[Any], np.ndarray],
    categorical: Sequence[Hashable] | None = None,
    rules: Sequence[Any] | None = None,
    train: pd.DataFrame | None = None,
    y_train: np.ndarray | None = None,
    rejection_rate: dict[Any, float] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """The table of ``GANAugmenter.quality_report`` (its docstring says what each column means).

    ``featurize`` turns samples into the numeric features of :func:`quality_table`.
    ``categorical`` is None for images, which get no table columns; for a table it
    lists the categorical columns and :func:`realism_table` adds its columns
    (its detection AUC, on the swapped halves, replaces the one on features).
    """
    table = quality_table(
        featurize(real),
        y_real,
        featurize(synthetic),
        y_synthetic,
        classes,
        seed,
        categorical is None,
    )
    if categorical is not None:
        realism = realism_table(
            real,
            y_real,
            synthetic,
            y_synthetic,
            classes,
            categorical=categorical,
            rules=rules,
            train=train,
            y_train=y_train,
            seed=seed,
        )
        table = table.drop(columns="detection_auc").join(realism)
    if rejection_rate:
        table["rejection_rate"] = [rejection_rate.get(c, float("nan")) for c in table.index]
    return table
