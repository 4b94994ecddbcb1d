"""Find key columns: a column each of whose values fixes the values of other columns.

A course-evaluation table lists each professor's courses, and the professor's
ID fixes her age, her beauty score and her tenure in every row she appears in;
an order table repeats a product's price and category beside its code. Rules
between single values (``A == a -> B == b``, :mod:`ganaug.sampling.rule_discovery`)
need twenty rows behind each value, and a key has a few rows per value, so they
do not see it. Read at the level of the column, the evidence adds up: if ``B``
were independent of ``A``, a group of ``s`` rows sharing a value of ``A`` would
all show the same value of ``B`` with probability ``sum_b p_b ** s`` (``p_b`` the
shares of ``B``'s values), and every group doing so has the product of these.
:func:`find_keys` reports ``A -> B`` when ``B`` is constant within every group
and that product is below one in a million. Groups whose rows are identical in
every column (a duplicated row) are no evidence and do not count.

A key is a category or a whole number (an ID), with at least three values and
at least two rows per value on average; a key whose every value has twenty or
more rows is left to the value rules. Keys are taken greedily, the one that
fixes the most columns first, and a column belongs to one key at most.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from .rule_discovery import is_numeric_column

__all__ = ["find_keys"]

# Largest chance that columns that agree within every group of a key do so by coincidence.
_CHANCE = 1e-6
# Fewest distinct values of a key.
_MIN_KEY_VALUES = 3
# Candidates are first screened on this many rows (a column that varies within a group
# there varies in the whole table), then checked on every row.
_SCREEN_ROWS = 2000


def find_keys(
    frame: pd.DataFrame,
    categorical: Sequence[Hashable] = (),
    y: np.ndarray | None = None,
    min_support: int = 20,
) -> list[tuple[Hashable, list[Hashable], bool]]:
    """The key columns of ``frame``, the columns each of them fixes, and whether it fixes ``y``.

    Parameters
    ----------
    frame : DataFrame
        The training table; not modified.
    categorical : sequence of column names
        Numeric columns that are categories.
    y : ndarray of shape (n,), optional
        The class of each row: a key may fix it too (each professor one gender),
        by the same test as a column.
    min_support : int, default=20
        A key whose every value has at least this many rows is left out.

    Returns
    -------
    list of (key, determined columns, fixes the class)
        In the order they were taken (see the module docstring); a key is
        listed only when it fixes at least one column.
    """
    names = list(frame.columns)
    if len(frame) < 2 * _MIN_KEY_VALUES or len(names) < 2:
        return []
    categories = set(categorical)
    candidates = [i for i, c in enumerate(names) if _can_be_key(frame[c], c in categories)]
    if not candidates:
        return []
    # NaN is a value of a fixed column (missing in every row of the group)
    columns = [pd.factorize(frame[c], use_na_sentinel=False)[0] for c in names]
    labels = pd.factorize(np.zeros(len(frame)) if y is None else np.asarray(y))[0]
    codes = np.column_stack([*columns, labels]).astype(np.int64)  # the class comes last
    rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    found = []
    for i in candidates:
        fixed = _determined(frame, codes, rows, i, min_support)
        determined = [j for j in fixed if j < len(names)]
        if determined:
            n_values = int(frame.iloc[:, i].nunique())
            found.append((len(determined), -n_values, -i, determined, len(names) in fixed))
    found.sort(key=lambda t: t[:3], reverse=True)
    used: set[Hashable] = set()
    keys = []
    for _, _, minus_i, determined, fixes_class in found:
        key = names[-minus_i]
        if key in used:
            continue
        free = [names[j] for j in determined if names[j] not in used]
        if free:
            keys.append((key, free, fixes_class))
            used |= {key, *free}
    return keys


def _can_be_key(series: pd.Series, categorical: bool) -> bool:
    """Categories and whole numbers; not a float measure, which a key is not."""
    if not is_numeric_column(series, categorical):  # the rules' reading of a category
        return True
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    values = values[~np.isnan(values)]
    return bool(np.all(values == np.round(values)))


def _determined(
    frame: pd.DataFrame, codes: np.ndarray, rows: np.ndarray, i: int, min_support: int
) -> list[int]:
    """Indices of the columns that column ``i`` fixes (see the module docstring)."""
    key, _ = pd.factorize(frame.iloc[:, i], use_na_sentinel=True)
    has_key = key >= 0
    sizes = np.bincount(key[has_key])
    if len(sizes) < _MIN_KEY_VALUES or 2 * len(sizes) > has_key.sum():
        return []
    if np.all(sizes >= min_support):
        return []
    others = np.array([j for j in range(codes.shape[1]) if j != i])
    for limit in (_SCREEN_ROWS, None):
        take = np.flatnonzero(has_key)[:limit]
        order = take[np.argsort(key[take], kind="stable")]
        starts = np.r_[0, np.flatnonzero(np.diff(key[order])) + 1]
        block = codes[np.ix_(order, others)]
        constant = np.all(
            np.maximum.reduceat(block, starts, axis=0)
            == np.minimum.reduceat(block, starts, axis=0),
            axis=0,
        )
        others = others[constant]
        if len(others) == 0:
            return []
    # evidence: groups of two or more rows that are not copies of one another
    hashed = rows[order]
    varied = np.maximum.reduceat(hashed, starts) != np.minimum.reduceat(hashed, starts)
    group_sizes = np.diff(np.r_[starts, len(order)])[varied]
    sizes_seen, n_groups = np.unique(group_sizes, return_counts=True)
    kept = []
    for j in others:
        shares = np.bincount(codes[:, j]) / len(codes)
        log_chance = sum(
            k * math.log(min(1.0, float(np.sum(shares**s)))) for s, k in zip(sizes_seen, n_groups)
        )
        if log_chance < math.log(_CHANCE):
            kept.append(int(j))
    return kept
