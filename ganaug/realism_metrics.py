"""How real synthetic table rows are: the measures behind ``GANAugmenter.quality_report``.

The same functions score every over-sampler in ``benchmarks/realism.py``, so the
report and the benchmark cannot drift apart. All of them take values (frames,
arrays, class indices) and return values; none reads the estimator.

Table measures, per class, synthetic rows against real rows of the same class:

- :func:`detection_auc`: cross-validated ROC AUC of a gradient-boosted classifier
  telling real from synthetic rows (0.5: indistinguishable). It rewards copying,
  so it is read beside
- :func:`novelty_share`: the share of synthetic rows closer to a real training row
  than 95% of held-out real rows are (fresh data about 0.05, copies 1.0);
- :func:`impossible_pairs`: rows carrying a category that no real row of the
  class has;
- :func:`discovered_rules`: the rules every real row obeys; rows that break one
  are counted with :func:`ganaug.sampling.rules.broken_rows`;
- :func:`grid_share`: values of grid columns (whole numbers, round steps) that
  lie on their column's grid;
- :func:`smote_rows`: SMOTE's (or SMOTENC's) rows from the same data, the
  baseline that ``detection_auc_smote`` measures.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTE, SMOTEN, SMOTENC
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

from ._scalars import plain
from .encoders.grids import detect_grid, on_grid
from .encoders.tabular import column_kind
from .sampling.rule_discovery import discover_rules

__all__ = [
    "RowFeatures",
    "detection_auc",
    "discovered_rules",
    "grid_share",
    "impossible_pairs",
    "novelty_share",
    "smote_rows",
    "table_categorical",
]


def table_categorical(frame: pd.DataFrame, named: Sequence[Hashable] = ()) -> list[Hashable]:
    """Columns of ``frame`` the tabular model treats as categories.

    ``named`` lists numeric columns to treat as categories, as
    ``categorical_features`` does.
    """
    return [c for c in frame.columns if column_kind(frame[c], c in set(named)) == "categorical"]


def _numbers(frame: pd.DataFrame, column: Hashable) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _objects(frame: pd.DataFrame, column: Hashable) -> pd.Series:
    """A categorical column as plain Python objects, missing values as None."""
    col = frame[column].astype(object)
    return col.where(col.notna(), None).map(lambda v: plain(v) if v is not None else None)


class RowFeatures:
    """Numeric views of table rows, fitted on real rows so every sampler is read alike.

    Parameters
    ----------
    frame : DataFrame
        Real rows that fix the category levels and the numeric scale.
    categorical : list
        Its categorical columns; every other column is read as a number.
    """

    def __init__(self, frame: pd.DataFrame, categorical: Sequence[Hashable]) -> None:
        self.categorical = list(categorical)
        self.numeric = [c for c in frame.columns if c not in set(self.categorical)]
        values = self._raw_numbers(frame)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            self.mean_ = np.nan_to_num(np.nanmean(values, axis=0))
            scale = np.nan_to_num(np.nanstd(values, axis=0))
        self.scale_ = np.where(scale > 0, scale, 1.0)
        self.levels_ = {
            c: list(dict.fromkeys(v for v in _objects(frame, c) if v is not None))
            for c in self.categorical
        }

    def _one_hot(self, frame: pd.DataFrame) -> np.ndarray:
        blocks = []
        for c, levels in self.levels_.items():
            where = {v: i for i, v in enumerate(levels)}
            # the last slot is "missing"; a level never seen in the real rows gets no slot
            codes = np.array(
                [len(levels) if v is None else where.get(v, -1) for v in _objects(frame, c)]
            )
            block = np.zeros((len(frame), len(levels) + 1))
            seen = codes >= 0
            block[np.flatnonzero(seen), codes[seen]] = 1.0
            blocks.append(block)
        return np.hstack(blocks) if blocks else np.zeros((len(frame), 0))

    def _raw_numbers(self, frame: pd.DataFrame) -> np.ndarray:
        return np.column_stack([_numbers(frame, c) for c in self.numeric] or [np.zeros(len(frame))])

    def detection(self, frame: pd.DataFrame) -> np.ndarray:
        """Numbers as they are (NaN kept: the detector splits on it) and one-hot categories."""
        return np.hstack([self._raw_numbers(frame), self._one_hot(frame)])

    def distance(self, frame: pd.DataFrame) -> np.ndarray:
        """Standardised numbers, a missing indicator per number (NaN sits at the mean), one-hot."""
        scaled = (self._raw_numbers(frame) - self.mean_) / self.scale_
        missing = np.isnan(scaled)
        return np.hstack(
            [np.where(missing, 0.0, scaled), missing.astype(float), self._one_hot(frame)]
        )


def detection_auc(
    real: np.ndarray, synthetic: np.ndarray, seed: int = 0, n_splits: int = 3
) -> float:
    """Cross-validated ROC AUC of a gradient-boosted classifier telling real from synthetic rows.

    As many rows are taken from each side (the smaller count, drawn at random), so
    neither side wins by numbers. Leaves hold at least 20 rows, fewer below 100
    rows a side (``n // 5``, at least 2). NaN with fewer than ``2 * n_splits``
    rows a side.
    """
    n = min(len(real), len(synthetic))
    if n < 2 * n_splits:
        return float("nan")
    rng = np.random.default_rng(seed)
    r = real[rng.permutation(len(real))[:n]]
    s = synthetic[rng.permutation(len(synthetic))[:n]]
    X = np.vstack([r, s])
    # an all-NaN column tells nothing, and scikit-learn's binning fails on it
    X = np.hstack([X[:, ~np.isnan(X).all(axis=0)], np.zeros((2 * n, 1))])
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    # the default 20-row leaves cannot split a small class's training folds at all
    leaf = int(min(20, max(2, n // 5)))
    detector = HistGradientBoostingClassifier(
        max_iter=100, min_samples_leaf=leaf, random_state=seed
    )
    # a few hundred rows: OpenMP threads only spin-wait (25x slower on a busy machine)
    with threadpool_limits(limits=1, user_api="openmp"):
        scores = cross_val_score(
            detector, X, np.r_[np.zeros(n), np.ones(n)], cv=folds, scoring="roc_auc"
        )
    return float(np.mean(scores))


def novelty_share(
    train: np.ndarray, holdout: np.ndarray, synthetic: np.ndarray, quantile: float = 0.95
) -> float:
    """Share of synthetic rows closer to a training row than ``quantile`` of held-out rows are.

    Each row's distance to its nearest training row is compared with the same
    distance for held-out real rows: a synthetic row counts when at least
    ``quantile`` of held-out rows sit strictly farther. Fresh real data scores
    about ``1 - quantile``, exact copies 1.0. NaN when a side is empty.
    """
    if len(train) == 0 or len(holdout) == 0 or len(synthetic) == 0:
        return float("nan")
    nn = NearestNeighbors(n_neighbors=1).fit(train)
    held = np.sort(nn.kneighbors(holdout)[0][:, 0])
    near = nn.kneighbors(synthetic)[0][:, 0]
    farther = 1.0 - np.searchsorted(held, near, side="right") / len(held)
    return float(np.mean(farther >= quantile))


def impossible_pairs(
    reference: pd.DataFrame, synthetic: pd.DataFrame, categorical: Sequence[Hashable]
) -> np.ndarray:
    """Per synthetic row: does it carry a category that no ``reference`` row has?

    Pass the real rows of one class and that class's synthetic rows. Missing
    values are not categories here (missingness is measured elsewhere).
    """
    bad = np.zeros(len(synthetic), dtype=bool)
    for c in categorical:
        seen = {v for v in _objects(reference, c) if v is not None}
        bad |= np.array([v is not None and v not in seen for v in _objects(synthetic, c)])
    return bad


def discovered_rules(frame: pd.DataFrame, categorical: Sequence[Hashable] = ()) -> list[Any]:
    """Rules that every row of ``frame`` obeys, as :func:`discover_rules` finds them.

    ``categorical`` names numeric columns to read as categories.
    """
    return discover_rules(frame, categorical)


def grid_share(
    reference: pd.DataFrame, synthetic: pd.DataFrame, numeric: Sequence[Hashable]
) -> float:
    """Share of synthetic values of grid columns on their grid (grids found in ``reference``).

    Values of all grid columns are pooled; missing values are left out. NaN when
    no column of ``reference`` lies on a grid or nothing is left to score.
    """
    hits, total = 0, 0
    for c in numeric:
        grid = detect_grid(_numbers(reference, c))
        if grid is None:
            continue
        values = _numbers(synthetic, c)
        values = values[~np.isnan(values)]
        hits += int(np.sum(on_grid(values, grid)))
        total += len(values)
    return hits / total if total else float("nan")


def smote_rows(
    frame: pd.DataFrame,
    y_idx: np.ndarray,
    categorical: Sequence[Hashable],
    counts: dict[int, int],
    seed: int,
) -> tuple[pd.DataFrame, np.ndarray]:
    """``counts[c]`` new rows of class ``c`` from SMOTE (numbers), SMOTENC (mixed) or SMOTEN.

    SMOTE cannot read NaN, so a column with missing values is filled with its
    median and gets a categorical "was missing" column; a synthetic row whose
    indicator says missing gets NaN back. A class with fewer than two rows is
    left out. Numeric columns come back as float64, categories as objects.
    """
    categorical = list(categorical)
    numeric = [c for c in frame.columns if c not in set(categorical)]
    have = np.bincount(y_idx, minlength=max(counts, default=0) + 1)
    counts = {c: n for c, n in counts.items() if n > 0 and have[c] >= 2}
    if not counts:
        return frame.iloc[:0].copy(), np.zeros(0, dtype=np.int64)
    parts, is_cat, decode = [], [], []
    for c in numeric:
        values = _numbers(frame, c)
        missing = np.isnan(values)
        fill = float(np.nanmedian(values)) if (~missing).any() else 0.0
        parts.append(np.where(missing, fill, values))
        is_cat.append(False)
        if missing.any():
            parts.append(missing.astype(float))
            is_cat.append(True)
    for c in categorical:
        codes, levels = pd.factorize(_objects(frame, c), use_na_sentinel=False)
        parts.append(codes.astype(float))
        is_cat.append(True)
        decode.append(np.asarray(levels, dtype=object))
    X = np.column_stack(parts)
    k = int(min(5, min(have[c] for c in counts) - 1))
    strategy = {c: int(have[c] + n) for c, n in counts.items()}
    if not any(is_cat):
        sampler: Any = SMOTE(sampling_strategy=strategy, k_neighbors=k, random_state=seed)
    elif all(is_cat):
        sampler = SMOTEN(sampling_strategy=strategy, k_neighbors=k, random_state=seed)
    else:
        cat_index = np.flatnonzero(is_cat).tolist()
        sampler = SMOTENC(cat_index, sampling_strategy=strategy, k_neighbors=k, random_state=seed)
    if len(np.unique(y_idx)) == 1:
        # imbalanced-learn wants two classes although SMOTE reads one class at a time:
        # a placeholder row of another class, not over-sampled, changes nothing
        X, y_idx = np.vstack([X[:1], X]), np.r_[y_idx[0] + 1, y_idx]
    X_res, y_res = sampler.fit_resample(X, y_idx)
    new, y_new = X_res[len(X) :], np.asarray(y_res[len(X) :], dtype=np.int64)
    out, j = {}, 0
    for c in numeric:
        values = new[:, j].astype(np.float64)
        j += 1
        if np.isnan(_numbers(frame, c)).any():
            values = np.where(new[:, j] > 0.5, np.nan, values)
            j += 1
        out[c] = values
    for c, levels in zip(categorical, decode, strict=True):
        out[c] = levels[new[:, j].astype(np.int64)]
        j += 1
    return pd.DataFrame(out, columns=frame.columns), y_new
