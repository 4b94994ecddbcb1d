"""Find the flags and bands that a numeric column sets: ``education >= 13 -> college == 'yes'``.

Tables often hold a category computed from a number (a degree from years of
schooling, an age band from an age, a "senior" flag). No single value of the
number need have many rows, so the implications of
:mod:`ganaug.sampling.rule_discovery` (``A == a -> B == b``, for values of at least
``min_support`` rows) miss most of them, and a generator that learnt the two
columns apart breaks them: on the PSID labour-supply table
(``benchmarks/real_tables.py``) 5% of synthetic rows had 13 or 14 years of
schooling and no college.

:func:`find_ranges` sorts the rows of each numeric column ``A`` and looks, for
every value ``b`` of another column ``B`` (a category, or a point mass of a
numeric column), for stretches of consecutive distinct values of ``A`` in which
every row has ``B == b``. A stretch becomes a rule when

- it spans at least two values and ``min_support`` rows;
- it reaches an end of ``A``'s range (a threshold, ``A >= lo``) or, inside the
  range, holds every row with ``B == b`` (a band: a noisy relation leaves many
  short pure stretches, and those are no rule);
- independent rows would hardly show it: with ``B == b`` in a share ``p`` of the
  rows, a given stretch of ``L`` rows is pure with probability ``p ** L``, and
  there are as many places for it to start as ``A`` has values, so
  ``V * p ** L`` must be below ``chance``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from .._scalars import plain
from .rule_kinds import Implication, RangeImplication, numeric_values, value_codes

__all__ = ["covered", "find_ranges"]


def find_ranges(
    frame: pd.DataFrame,
    columns: Sequence[Hashable],
    numeric: set[Hashable],
    min_support: int,
    chance: float,
) -> list[RangeImplication]:
    """The range implications that every row of ``frame`` keeps (see the module docstring).

    ``columns`` are the columns rules may name, ``numeric`` those of them read as
    numbers; an antecedent is always numeric.
    """
    codes = {c: value_codes(frame[c], c in numeric, min_support) for c in columns}
    atoms = _atom_matrix([codes[c] for c in columns])
    found: list[RangeImplication] = []
    for i, a in enumerate(columns):
        if a not in numeric:
            continue
        x = numeric_values(frame, a)
        present = ~np.isnan(x)
        if present.sum() < min_support:
            continue
        distinct, where = np.unique(x[present], return_inverse=True)
        if len(distinct) < 3:  # two values: an implication says it
            continue
        per_value = np.bincount(where, minlength=len(distinct))
        sorted_atoms = atoms[present][np.argsort(where, kind="stable")]
        for j in np.flatnonzero(_has_long_run(sorted_atoms, min_support)):
            b = columns[j]
            code, levels, n_atoms = codes[b]
            if j == i or n_atoms == 0:
                continue
            counts = (distinct, where, per_value)
            found += _stretches(a, counts, b, code[present], levels, n_atoms, min_support, chance)
    return found


def _atom_matrix(codes: list[tuple[np.ndarray, list, int]]) -> np.ndarray:
    """Each column's atom code per row, and a code of its own for every row whose value
    no rule can name (missing, or a number off the point masses): those never
    make a run of equal codes."""
    n = len(codes[0][0]) if codes else 0
    unique = -1 - np.arange(n, dtype=np.int32)  # int32: half the memory of a wide table
    return np.column_stack(
        [
            np.where((code >= 0) & (code < n_atoms), code, unique).astype(np.int32)
            for code, _, n_atoms in codes
        ]
        or [np.zeros(n, dtype=np.int32)]
    )


def _has_long_run(sorted_atoms: np.ndarray, length: int) -> np.ndarray:
    """Per column, whether ``length`` consecutive rows share an atom: a screen, on all
    columns at once, that leaves few pairs for the exact search (a pure stretch
    has at least ``length`` rows)."""
    same = (sorted_atoms[1:] == sorted_atoms[:-1]).astype(np.int32)
    if len(same) < length - 1:
        return np.zeros(sorted_atoms.shape[1], dtype=bool)
    total = np.vstack([np.zeros((1, same.shape[1]), dtype=np.int32), np.cumsum(same, axis=0)])
    window = total[length - 1 :] - total[: len(total) - length + 1]
    return (window == length - 1).any(axis=0)


def _stretches(
    a: Hashable,
    counts: tuple[np.ndarray, np.ndarray, np.ndarray],
    b: Hashable,
    code: np.ndarray,
    levels: list,
    n_atoms: int,
    min_support: int,
    chance: float,
) -> list[RangeImplication]:
    """The pure stretches of ``A``'s sorted values for each value of ``B``.

    ``counts`` holds ``A``'s distinct values, each row's index into them and the
    rows per value; ``code`` is ``B``'s value code in the same rows.
    """
    distinct, where, per_value = counts
    n_values = len(distinct)
    width = len(levels) + 1  # code -1 (missing) goes to slot 0
    joint = np.bincount(where * width + code + 1, minlength=n_values * width)
    joint = joint.reshape(n_values, width)[:, 1 : n_atoms + 1]
    pure = joint == per_value[:, None]
    shares = joint.sum(axis=0) / len(code)
    out = []
    for k in np.flatnonzero(pure.any(axis=0) & (shares < 1.0)):
        # starts and ends of the runs of True in pure[:, k]
        edges = np.diff(np.r_[0, pure[:, k].astype(np.int8), 0])
        for start, stop in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
            rows = int(per_value[start:stop].sum())
            if stop - start < 2 or rows < min_support:
                continue
            if math.log(n_values) + rows * math.log(shares[k]) > math.log(chance):
                continue
            lower = None if start == 0 else float(distinct[start])
            upper = None if stop == n_values else float(distinct[stop - 1])
            if lower is not None and upper is not None and rows < joint[:, k].sum():
                continue  # a band inside the range holds all of b, or it is a fragment
            out.append(RangeImplication(a, lower, upper, b, plain(levels[k])))
    return out


def covered(rule: Implication, ranges: Sequence[RangeImplication]) -> bool:
    """Whether ``rule`` (``A == a -> B == b``) is a case of one of ``ranges``."""
    for r in ranges:
        if (r.column, r.then_column) != (rule.column, rule.then_column):
            continue
        if not isinstance(rule.value, int | float) or isinstance(rule.value, bool):
            continue
        if r.then_value != rule.then_value:
            continue
        above = r.lower is None or rule.value >= r.lower
        if above and (r.upper is None or rule.value <= r.upper):
            return True
    return False
