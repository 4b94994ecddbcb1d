"""Find the rules that every row of a training table obeys.

:func:`discover_rules` looks for the kinds of :mod:`ganaug.sampling.rules`:

- implications ``A == a -> B == b`` between categorical columns, where ``A == a``
  has at least ``min_support`` rows, all of them with ``B == b``, and where that
  could hardly happen by chance: with ``B == b`` in a share ``p`` of all rows,
  ``n`` independent rows would all show it with probability ``p ** n``, which
  must be below ``_CHANCE`` (one in a million). A chain of implications is
  listed once (``a -> b`` and ``b -> c``, not also ``a -> c``);
- derivations between numeric columns, exact within the target's rounding: a
  fixed offset ``B == A + c``, a fixed multiple ``B == k * A`` and a sum
  ``C == A + B``. Each column is derived at most once, never in a cycle, and
  the constant is the shortest decimal that keeps the rule in every row;
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
from collections.abc import Callable, Hashable, Iterable, Sequence

import numpy as np
import pandas as pd

from .rule_kinds import (
    MAX_DECIMALS,
    Derivation,
    Implication,
    Multiple,
    Offset,
    Order,
    Rule,
    Sum,
    column_decimals,
    numeric_values,
    relative_eps,
)

__all__ = ["discover_rules", "is_numeric_column", "reaches"]

# Largest chance that a pattern seen in every row is a coincidence of independent columns.
_CHANCE = 1e-6
# Rows used to screen candidates before the full check.
_SCREEN_ROWS = 256
# Sums of pairs cost columns**3 screens; beyond this many numeric columns only the
# first ones are searched (pairs and orders still cover all of them).
_MAX_SUM_COLUMNS = 60
# A derivation must be finer than its target's spread: a target whose rounding is a
# tenth of its range or more (a 0/1 column, say) is a threshold, not a formula.
_MAX_UNIT_SHARE = 0.1


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
        Implications, then derivations, then orders.
    """
    names = list(frame.columns)
    is_categorical = [not is_numeric_column(frame[c], c in set(categorical)) for c in names]
    found: list[Rule] = []
    found += _implications(frame, [c for c, cat in zip(names, is_categorical) if cat], min_support)
    numeric = [c for c, cat in zip(names, is_categorical) if not cat]
    derivations = [r for r in known if isinstance(r, Derivation)]
    with warnings.catch_warnings():
        # all-NaN columns and empty slices are expected; they only drop candidates
        warnings.simplefilter("ignore", RuntimeWarning)
        found += _derivations(frame, numeric, min_support, derivations)
        derived = {r.target for r in derivations} | {
            r.target for r in found if isinstance(r, Derivation)
        }
        found += _orders(frame, [c for c in numeric if c not in derived], min_support)
    known_set = set(known)
    return [r for r in found if r not in known_set]


# -- implications --------------------------------------------------------------------------


def _implications(frame: pd.DataFrame, columns: list[Hashable], min_support: int) -> list[Rule]:
    n = len(frame)
    if len(columns) < 2 or n < min_support:
        return []
    codes, levels = [], []
    for c in columns:
        code, uniques = pd.factorize(frame[c], use_na_sentinel=True)
        codes.append(code.astype(np.int64))
        levels.append(list(uniques))
    edges: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for i, (ca, la) in enumerate(zip(codes, levels)):
        counts_a = np.bincount(ca[ca >= 0], minlength=len(la))
        supported = np.flatnonzero(counts_a >= min_support)
        if len(supported) == 0:
            continue
        for j, (cb, lb) in enumerate(zip(codes, levels)):
            if i == j or len(lb) == 0:
                continue
            width = len(lb) + 1  # code -1 (missing) goes to slot 0
            joint = np.bincount((ca + 1) * width + cb + 1, minlength=(len(la) + 1) * width)
            joint = joint.reshape(len(la) + 1, width)
            share_b = joint.sum(axis=0)[1:] / n
            for a in supported:
                row = joint[a + 1]
                b = int(np.argmax(row[1:]))
                if row[b + 1] != counts_a[a] or share_b[b] >= 1.0:
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


# -- derivations ---------------------------------------------------------------------------


class _Numbers:
    """The numeric columns as one float matrix, with each column's rounding."""

    def __init__(self, frame: pd.DataFrame, columns: list[Hashable]) -> None:
        self.names = columns
        self.values = np.column_stack([numeric_values(frame, c) for c in columns])
        self.rel = [relative_eps(frame[c]) for c in columns]
        self.places = [column_decimals(self.values[:, k], self.rel[k]) for k in range(len(columns))]
        self.half = np.array(
            [0.0 if p is None else 0.5 * 10.0**-p for p in self.places], dtype=np.float64
        )
        with np.errstate(invalid="ignore"), _quiet():
            spread = np.nanmax(self.values, axis=0) - np.nanmin(self.values, axis=0)
        self.spread = np.nan_to_num(spread, nan=0.0)
        self.screen = self.values[:_SCREEN_ROWS]


def _quiet() -> np.errstate:
    return np.errstate(all="ignore")


def _derivations(
    frame: pd.DataFrame, columns: list[Hashable], min_support: int, known: list[Derivation]
) -> list[Rule]:
    if len(columns) < 2 or len(frame) < min_support:
        return []
    nums = _Numbers(frame, columns)
    usable = (nums.spread > 0) & (nums.half <= _MAX_UNIT_SHARE * nums.spread)
    usable &= np.sum(~np.isnan(nums.values), axis=0) >= min_support
    parents: dict[Hashable, tuple[Hashable, ...]] = {r.target: r.sources for r in known}
    rules: list[Rule] = []

    def derived_from(column: Hashable) -> tuple[Hashable, ...]:
        return parents.get(column, ())

    def accept(candidates: list[Derivation]) -> None:
        for rule in candidates:
            # no column derived twice, and no derivation that feeds back into itself
            if rule.target in parents or reaches(rule.sources, rule.target, derived_from):
                continue
            parents[rule.target] = rule.sources
            rules.append(rule)

    accept(_pair_candidates(frame, nums, usable, min_support))
    accept(_sum_candidates(frame, nums, usable, min_support, parents))
    return rules


def reaches(
    starts: Iterable[Hashable], goal: Hashable, successors: Callable[[Hashable], Iterable[Hashable]]
) -> bool:
    """Whether ``goal`` is among ``starts`` or reachable from them along ``successors``.

    One depth-first search for the rules' graphs: derivations (a column and the
    columns it derives from) and chains of orders (``a <= b <= c``).
    """
    stack, seen = list(starts), set()
    while stack:
        column = stack.pop()
        if column == goal:
            return True
        if column not in seen:
            seen.add(column)
            stack.extend(successors(column))
    return False


def _pair_candidates(
    frame: pd.DataFrame, nums: _Numbers, usable: np.ndarray, min_support: int
) -> list[Derivation]:
    """Offsets and multiples between pairs, one direction per pair, by target column."""
    x, half = nums.screen, nums.half
    p = len(nums.names)
    offset_ok = np.zeros((p, p), dtype=bool)
    multiple_ok = np.zeros((p, p), dtype=bool)
    scale = 1 + np.nan_to_num(np.nanmax(np.abs(x), axis=0)) if len(x) else np.ones(p)
    for t in np.flatnonzero(usable):  # one target at a time: memory stays rows x columns
        with _quiet(), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            diff = x[:, [t]] - x
            spread = np.nanmax(diff, axis=0) - np.nanmin(diff, axis=0)
            offset_ok[t] = ~(spread > 2 * half[t] + 1e-6 * (scale[t] + scale))
            # least squares through the origin: rows with large sources weigh most,
            # so rounding of the target barely moves the estimate
            both = ~np.isnan(x) & ~np.isnan(x[:, [t]])
            a, b = np.where(both, x, 0.0), np.where(both, x[:, [t]], 0.0)
            k = (a * b).sum(axis=0) / (a * a).sum(axis=0)
            resid = np.nanmax(np.abs(x[:, [t]] - k * x), axis=0)
            # the median ratio is only near the feasible factor: a loose screen
            multiple_ok[t] = ~(resid > 4 * half[t] + 1e-3 * scale[t])
    both = usable[:, None] & usable[None, :] & ~np.eye(p, dtype=bool)
    found: dict[tuple[int, int], Derivation] = {}
    for t, s in zip(*np.nonzero(both & (offset_ok | multiple_ok))):
        rule = _fit_pair(frame, nums, int(t), int(s), bool(offset_ok[t, s]), min_support)
        if rule is not None:
            found[(int(t), int(s))] = rule
    chosen = []
    for (t, s), rule in found.items():
        reverse = found.get((s, t))
        if reverse is None or _preferred(nums, rule, t, s, reverse):
            chosen.append((t, s, rule))
    return [rule for _, _, rule in sorted(chosen, key=lambda item: item[:2])]


def _preferred(nums: _Numbers, rule: Derivation, t: int, s: int, reverse: Derivation) -> bool:
    """Of ``t <- s`` and ``s <- t``, whether ``t <- s`` is the one to list.

    The finer column is the derived one (a charge in cents from whole minutes),
    then the one with the shorter constant, a positive offset or a factor above
    one (``b == 2 * a`` rather than ``a == 0.5 * b``), then the later column.
    """

    def key(r: Derivation, target: int) -> tuple:
        places = nums.places[target]
        constant = r.factor if isinstance(r, Multiple) else r.offset
        return (
            -(MAX_DECIMALS + 1 if places is None else places),
            len(repr(abs(constant))),
            (abs(constant) < 1) if isinstance(r, Multiple) else (constant < 0),
            -target,
        )

    return key(rule, t) < key(reverse, s)


def _fit_pair(
    frame: pd.DataFrame, nums: _Numbers, t: int, s: int, try_offset: bool, min_support: int
) -> Derivation | None:
    target, source = nums.values[:, t], nums.values[:, s]
    present = ~np.isnan(target) & ~np.isnan(source)
    if present.sum() < min_support:
        return None
    b, a = target[present], source[present]
    slack = nums.half[t] + nums.rel[t] * np.maximum(2 * np.abs(b), 1.0)
    names = nums.names
    if try_offset:
        low, high = np.max(b - a - slack), np.min(b - a + slack)
        for c in _short_numbers(low, high):
            rule = Offset(names[t], names[s], c)
            if rule.holds(frame).all():
                return rule
    nonzero = a != 0
    if np.any(np.abs(b[~nonzero]) > slack[~nonzero]) or not nonzero.any():
        return None
    lo_b, hi_b = (b - slack)[nonzero] / a[nonzero], (b + slack)[nonzero] / a[nonzero]
    low, high = np.max(np.minimum(lo_b, hi_b)), np.min(np.maximum(lo_b, hi_b))
    for k in _short_numbers(low, high):
        if k in (0.0, 1.0):
            return None  # 1 is an offset of 0; 0 a constant target
        rule = Multiple(names[t], names[s], k)
        if rule.holds(frame).all():
            return rule
    return None


def _short_numbers(low: float, high: float) -> list[float]:
    """Numbers in ``[low, high]``, shortest decimal first (at most a few)."""
    if not (np.isfinite(low) and np.isfinite(high)) or low > high:
        return []
    if low <= 0 <= high:
        return [0.0]
    mid = (low + high) / 2
    out: list[float] = []
    for digits in range(1, 16):
        value = float(f"{mid:.{digits}g}")
        if low <= value <= high and value not in out:
            out.append(value)
            if len(out) == 2:
                break
    return out or [mid]


def _sum_candidates(
    frame: pd.DataFrame, nums: _Numbers, usable: np.ndarray, min_support: int, parents: dict
) -> list[Derivation]:
    """``C == A + B`` for columns not derived already (the first pair found per target)."""
    cols = np.flatnonzero(usable)[:_MAX_SUM_COLUMNS]
    if len(cols) < 3:
        return []
    x = nums.screen[:, cols]
    out: list[Derivation] = []
    for ti, t in enumerate(cols):
        if nums.names[t] in parents:
            continue
        with _quiet():
            resid = np.abs(x[:, [ti], None] - x[:, :, None] - x[:, None, :])
            bound = nums.half[t] + 1e-6 * (1 + np.nanmax(np.abs(x[:, ti])))
            ok = ~np.any(resid > bound, axis=0)
        ok[ti, :] = ok[:, ti] = False
        ok = np.triu(ok, 1)
        for i, j in zip(*np.nonzero(ok)):
            rule = Sum(nums.names[t], (nums.names[cols[i]], nums.names[cols[j]]))
            present = ~np.isnan(nums.values[:, [t, cols[i], cols[j]]]).any(axis=1)
            if present.sum() >= min_support and rule.holds(frame).all():
                out.append(rule)
                break
    return out


# -- orders --------------------------------------------------------------------------------


def _orders(frame: pd.DataFrame, columns: list[Hashable], min_support: int) -> list[Rule]:
    if len(columns) < 2 or len(frame) < min_support:
        return []
    x = np.column_stack([numeric_values(frame, c) for c in columns])
    present = ~np.isnan(x)
    pairs = []
    for i in range(len(columns)):
        with _quiet():
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
