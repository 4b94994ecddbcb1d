"""Exact numeric derivations in a training table: offsets, multiples and sums.

:func:`find_derivations` is the numeric part of
:func:`ganaug.sampling.rule_discovery.discover_rules`: a fixed offset
``B == A + c``, a fixed multiple ``B == k * A``, and a sum of two or more
columns ``C == A + B + ...``, each exact within the target's rounding. Each
column is derived at most once, never in a cycle, and a constant is the
shortest decimal that keeps the rule in every row.

Pairs and sums of two are screened on a few hundred rows with array operations
over all column pairs (and triples), then checked on every row. Longer sums
(a total of three or more parts, as a debt that is the sum of its card, car
and other debts) are found by least squares: on the screening rows a target
that is such a sum is fitted exactly with weights of 0 and 1, which chance
does not produce; the sum is then checked on every row.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Iterable

import numpy as np
import pandas as pd

from .rule_kinds import (
    MAX_DECIMALS,
    Derivation,
    Multiple,
    Offset,
    Sum,
    column_decimals,
    numeric_values,
    relative_eps,
)

__all__ = ["find_derivations", "reaches"]

# Rows used to screen candidates before the full check.
_SCREEN_ROWS = 256
# Sums of pairs cost columns**3 screens; beyond this many numeric columns only the
# first ones are searched (pairs and orders still cover all of them).
_MAX_SUM_COLUMNS = 60
# A derivation must be finer than its target's spread: a target whose rounding is a
# tenth of its range or more (a 0/1 column, say) is a threshold, not a formula.
_MAX_UNIT_SHARE = 0.1
# How far a least-squares weight may be from 0 or 1 and still be read as one: the
# target's rounding moves the weights by about its unit over the parts' size.
_WEIGHT_SLACK = 0.02


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


def find_derivations(
    frame: pd.DataFrame, columns: list[Hashable], min_support: int, known: list[Derivation]
) -> list[Derivation]:
    """The derivations among the numeric ``columns`` of ``frame`` (see the module docstring).

    ``known`` are the user's derivations: their targets are not derived again
    and no derivation found closes a cycle with them. Offsets and multiples
    come first, then sums of two, then longer sums.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame(
    ...     {
    ...         "card": [120.5, 80.25, 0.0, 310.0, 55.75, 12.0, 99.99, 240.1],
    ...         "car": [0.0, 900.0, 450.5, 0.0, 1200.0, 330.0, 0.0, 75.25],
    ...         "other": [15.0, 0.0, 60.4, 22.2, 0.0, 81.3, 44.0, 9.9],
    ...     }
    ... )
    >>> frame["total"] = (frame["card"] + frame["car"] + frame["other"]).round(2)
    >>> [str(r) for r in find_derivations(frame, list(frame.columns), 5, [])]
    ['total == card + car + other']
    """
    if len(columns) < 2 or len(frame) < min_support:
        return []
    nums = _Numbers(frame, columns)
    usable = (nums.spread > 0) & (nums.half <= _MAX_UNIT_SHARE * nums.spread)
    usable &= np.sum(~np.isnan(nums.values), axis=0) >= min_support
    parents: dict[Hashable, tuple[Hashable, ...]] = {r.target: r.sources for r in known}
    rules: list[Derivation] = []

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
    accept(_longer_sums(frame, nums, usable, min_support, parents))
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


def _longer_sums(
    frame: pd.DataFrame, nums: _Numbers, usable: np.ndarray, min_support: int, parents: dict
) -> list[Derivation]:
    """``T == A + B + C + ...`` (three or more terms) for columns not derived already.

    Least squares of each target on the other columns, over the screening rows
    where the target and every candidate term have a value; when that leaves
    too few rows, the candidates missing most often are dropped first. Columns
    derived from a single other column are left out: they are collinear with
    it, and the fit could not tell the two apart.
    """
    single = {t for t, sources in parents.items() if len(sources) == 1}
    cols = [c for c in np.flatnonzero(usable)[:_MAX_SUM_COLUMNS] if nums.names[c] not in single]
    missing = np.isnan(nums.screen)
    out: list[Derivation] = []
    for t in cols:
        if nums.names[t] in parents:
            continue
        sources = sorted((c for c in cols if c != t), key=lambda c: missing[:, c].sum())
        rows = ~missing[:, [t, *sources]].any(axis=1)
        while len(sources) >= 3 and rows.sum() < max(min_support, 2 * len(sources)):
            sources.pop()
            rows = ~missing[:, [t, *sources]].any(axis=1)
        if len(sources) < 3:
            continue
        a, b = nums.screen[rows][:, sources], nums.screen[rows, t]
        with _quiet():
            weights = np.linalg.lstsq(a, b, rcond=None)[0]
        ones = np.abs(weights - 1) <= _WEIGHT_SLACK
        if ones.sum() < 3 or np.any(~ones & (np.abs(weights) > _WEIGHT_SLACK)):
            continue
        terms = sorted(int(sources[k]) for k in np.flatnonzero(ones))
        rule = Sum(nums.names[t], tuple(nums.names[c] for c in terms))
        present = ~np.isnan(nums.values[:, [t, *terms]]).any(axis=1)
        if present.sum() >= min_support and rule.holds(frame).all():
            out.append(rule)
    return out
