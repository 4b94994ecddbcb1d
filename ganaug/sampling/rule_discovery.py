"""Find the rules that every row of a training table obeys.

:func:`discover_rules` looks for the kinds of :mod:`ganaug.sampling.rules`:

- implications ``A == a -> B == b``, where ``A == a`` has at least
  ``min_support`` rows, all of them with ``B == b``, and where that could
  hardly happen by chance: with ``B == b`` in a share ``p`` of all rows, ``n``
  independent rows would all show it with probability ``p ** n``, which must
  be below ``_CHANCE`` (one in a million). ``a`` and ``b`` are categories, or
  values that a numeric column takes in at least ``min_support`` rows (a point
  mass such as the zero of a claim amount: ``n_claims == 0 -> claim_amount ==
  0``); a column that a derivation computes is left to it. A chain of
  implications is listed once (``a -> b`` and ``b -> c``, not also ``a -> c``);
- range implications ``lo <= A <= hi -> B == b``, a flag or band that a number
  sets (:mod:`ganaug.sampling.rule_ranges`); an implication from one value
  inside such a range is then left out;
- derivations between numeric columns, exact within the target's rounding: a
  fixed offset, a fixed multiple and a sum of two or more columns
  (:mod:`ganaug.sampling.rule_derivations`);
- orders ``a <= b`` between numeric columns whose ranges overlap (an order that
  follows from the ranges alone is kept by the encoder's clipping) and that
  random pairs of values would break often enough (same chance bound).

Every candidate is first screened on a few hundred rows with array operations
over all column pairs, then checked on every row, so discovery on a 5,000-row,
40-column table takes a fraction of a second.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from .rule_derivations import find_derivations
from .rule_kinds import Derivation, Implication, Order, Rule, numeric_values, value_codes
from .rule_ranges import covered, find_ranges

__all__ = ["discover_rules", "is_numeric_column"]

# Largest chance that a pattern seen in every row is a coincidence of independent columns.
_CHANCE = 1e-6


def is_numeric_column(series: pd.Series, categorical: bool) -> bool:
    """Whether rules treat ``series`` as numbers (else as categories)."""
    dtype = series.dtype
    return (
        not categorical
        and pd.api.types.is_numeric_dtype(dtype)
        and not pd.api.types.is_bool_dtype(dtype)
    )


def discover_rules(
    frame: pd.DataFrame,
    categorical: Sequence[Hashable] = (),
    *,
    min_support: int = 20,
    known: Sequence[Rule] = (),
) -> list[Rule]:
    """The rules that hold in every row of ``frame`` (see the module docstring).

    Parameters
    ----------
    frame : DataFrame
        The training table; it is not modified.
    categorical : sequence of column names
        Numeric columns to treat as categories.
    min_support : int, default=20
        Fewest rows an implication's antecedent, a derivation or an order must
        have values in.
    known : sequence of Rule
        Rules already given (by the user): columns they derive are not derived
        again, and no rule found repeats or contradicts them.

    Returns
    -------
    rules : list of Rule
        Implications, then range implications, then derivations, then orders.
    """
    names = list(frame.columns)
    is_categorical = [not is_numeric_column(frame[c], c in set(categorical)) for c in names]
    numeric = [c for c, cat in zip(names, is_categorical) if not cat]
    derivations = [r for r in known if isinstance(r, Derivation)]
    with warnings.catch_warnings():
        # all-NaN columns and empty slices are expected; they only drop candidates
        warnings.simplefilter("ignore", RuntimeWarning)
        found = find_derivations(frame, numeric, min_support, derivations)
        derived = {r.target for r in derivations} | {r.target for r in found}
        orders = _orders(frame, [c for c in numeric if c not in derived], min_support)
    # a derived column follows its derivation; an implication would only repeat it
    free = [c for c in names if c not in derived]
    implications = _implications(frame, free, set(numeric), min_support)
    ranges = find_ranges(frame, free, set(numeric), min_support, _CHANCE)
    implications = [r for r in implications if not covered(r, ranges)]
    known_set = set(known)
    return [r for r in [*implications, *ranges, *found, *orders] if r not in known_set]


# -- implications --------------------------------------------------------------------------


def _implications(
    frame: pd.DataFrame, columns: list[Hashable], numeric: set[Hashable], min_support: int
) -> list[Rule]:
    n = len(frame)
    if len(columns) < 2 or n < min_support:
        return []
    codes, levels, atoms = [], [], []
    for c in columns:
        code, values, n_atoms = value_codes(frame[c], c in numeric, min_support)
        codes.append(code)
        levels.append(values)
        atoms.append(n_atoms)
    edges: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for i, (ca, la) in enumerate(zip(codes, levels)):
        counts_a = np.bincount(ca[ca >= 0], minlength=len(la))
        supported = np.flatnonzero(counts_a[: atoms[i]] >= min_support)
        if len(supported) == 0:
            continue
        for j, (cb, lb) in enumerate(zip(codes, levels)):
            if i == j or atoms[j] == 0:
                continue
            width = len(lb) + 1  # code -1 (missing) goes to slot 0
            joint = np.bincount((ca + 1) * width + cb + 1, minlength=(len(la) + 1) * width)
            joint = joint.reshape(len(la) + 1, width)
            share_b = joint.sum(axis=0)[1:] / n
            for a in supported:
                row = joint[a + 1]
                b = int(np.argmax(row[1:]))
                if b >= atoms[j] or row[b + 1] != counts_a[a] or share_b[b] >= 1.0:
                    continue
                if counts_a[a] * math.log(share_b[b]) <= math.log(_CHANCE):
                    edges.append(((i, int(a)), (j, b)))
    kept = _reduce(edges)
    return [
        Implication(columns[i], _plain(levels[i][a]), columns[j], _plain(levels[j][b]))
        for (i, a), (j, b) in kept
    ]


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def _reduce(edges: list[tuple]) -> list[tuple]:
    """A smallest-looking list of implications that implies all of ``edges``.

    Atoms that imply each other form groups; each group is listed as a star
    around its first atom, and an implication between groups is dropped when a
    third group lies on a path between them (transitive reduction).
    """
    atoms = sorted({u for u, _ in edges} | {v for _, v in edges})
    if not atoms:
        return []
    index = {a: k for k, a in enumerate(atoms)}
    reach = np.eye(len(atoms), dtype=bool)
    for u, v in edges:
        reach[index[u], index[v]] = True
    for k in range(len(atoms)):  # Warshall's transitive closure
        reach |= reach[:, [k]] & reach[[k], :]
    same = reach & reach.T
    leader = same.argmax(axis=1)  # first atom of each group
    kept = []
    for k in range(len(atoms)):
        if leader[k] != k:
            kept += [(atoms[leader[k]], atoms[k]), (atoms[k], atoms[leader[k]])]
    leaders = np.flatnonzero(leader == np.arange(len(atoms)))
    for u in leaders:
        for v in leaders:
            if u == v or not reach[u, v]:
                continue
            between = reach[u, leaders] & reach[leaders, v]
            between[(leaders == u) | (leaders == v)] = False
            if not between.any():
                kept.append((atoms[u], atoms[v]))
    # an atom never implies another value of its own column; drop such artefacts
    return [(u, v) for u, v in kept if u[0] != v[0]]


# -- orders --------------------------------------------------------------------------------


def _orders(frame: pd.DataFrame, columns: list[Hashable], min_support: int) -> list[Rule]:
    if len(columns) < 2 or len(frame) < min_support:
        return []
    x = np.column_stack([numeric_values(frame, c) for c in columns])
    present = ~np.isnan(x)
    pairs = []
    for i in range(len(columns)):
        with np.errstate(all="ignore"):
            broken = (x[:, [i]] > x).any(axis=0)
        for j in np.flatnonzero(~broken):
            both = present[:, i] & present[:, j]
            if i != j and _order_is_news(x[:, i], x[:, j], both, min_support):
                pairs.append((i, int(j)))
    found = set(pairs)
    return [
        Order(columns[i], columns[j])
        for i, j in pairs
        if not any((i, k) in found and (k, j) in found for k in range(len(columns)))
    ]


def _order_is_news(low: np.ndarray, high: np.ndarray, both: np.ndarray, min_support: int) -> bool:
    """Whether ``low <= high`` in every row says more than the two ranges do."""
    if both.sum() < min_support:
        return False
    a, b = low[both], high[both]
    if np.array_equal(a, b) or a.max() <= b.min():
        return False  # an equality (a derivation), or implied by the ranges
    ordered = np.sort(high[~np.isnan(high)])
    at_least = len(ordered) - np.searchsorted(ordered, low[~np.isnan(low)], side="left")
    chance = at_least.mean() / len(ordered)  # share of random pairs with low <= high
    return chance < 1 and len(a) * math.log(max(chance, 1e-300)) <= math.log(_CHANCE)
