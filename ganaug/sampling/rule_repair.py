"""Make synthetic rows keep the table's rules.

:func:`enforce_rules` runs on the decoded synthetic DataFrame, in four steps:

1. conditions that imply each other are made to agree with the first of
   them (:mod:`ganaug.sampling.rule_groups`); then implications set their
   consequent (``internet == 'No'`` makes the service columns
   ``'No internet service'``) and so do range implications (``education >=
   13`` makes ``college`` ``'yes'``), applied in order until none changes a row,
   so that chains ``a -> b -> c`` are followed;
2. orders: in a broken pair ``a > b`` the lower column is drawn again below
   the upper one, ``a = lo + s * (b - lo)``, with the share ``s`` drawn from
   the training rows' shares (``lo`` is ``a``'s smallest training value; see
   :func:`order_shares`), and the upper column stays as generated. Swapping
   the two values instead, as ganaug did before, moved every large value to
   the upper column: on the HR table of ``benchmarks/realism.py`` (no realism
   filter, seed 0) years at the company came out at a mean of 7.9 against a
   real 6.4, and years in role at 2.2 against 3.1. Drawing again keeps the
   upper column (6.9) but not the lower one (1.9: the rows that keep the order
   keep the generator's values, unrelated to the upper ones); that is the
   work of the model's order shares (:mod:`ganaug.sampling.products`), which
   leave this step few broken pairs. Pairs are taken from the top of a chain
   ``a <= b <= c`` down; a pair without shares (or with ``b`` below ``lo``)
   is swapped, and swaps are repeated along a chain until none breaks (a
   bubble sort on each row);
3. derived columns are computed from their sources, sources first, rounded to
   the target's decimal places in the training data and cast to its dtype;
4. a row that still breaks a rule (conflicting implications, user rules
   that pull against each other, or a derived value outside the range the
   column had in the training data) is replaced by a copy of another synthetic
   row of its class that keeps every rule; a class without one keeps its rows
   and a warning says so.

Columns keep their dtypes; the frame passed in is not modified. The tabular
model draws the rows that break an order again before it calls this
(:mod:`ganaug.sampling.rule_redraw`), so step 2 sees few of them.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .rule_groups import repair_groups
from .rule_kinds import (
    Derivation,
    Implication,
    Order,
    RangeImplication,
    Rule,
    numeric_values,
    share_below,
    value_at_share,
    value_equals,
)

__all__ = ["SHARE_LEVELS", "derivation_order", "enforce_rules", "order_shares"]

# Rounds of swaps along order chains; a chain of m columns needs at most m - 1.
_MAX_SWAP_ROUNDS = 64
# Quantiles kept of an order's shares ``(a - lo) / (b - lo)`` in the training rows.
SHARE_LEVELS = 21


def enforce_rules(
    frame: pd.DataFrame,
    rules: Sequence[Rule],
    numbers: Mapping[Hashable, Mapping[str, Any]],
    y: np.ndarray,
    rng: np.random.Generator | None = None,
) -> pd.DataFrame:
    """Synthetic rows that keep every rule in ``rules``.

    Parameters
    ----------
    frame : DataFrame
        Decoded synthetic rows; not modified.
    rules : sequence of Rule
        Validated rules (derivations without cycles).
    numbers : mapping of column name to dict
        Per numeric column, its decimal places in the training data
        (``"places"``, None for any float) and its observed range (``"lower"``,
        ``"upper"``): a derived value outside the range counts as broken, as
        synthetic values never leave what ``fit`` saw.
    y : ndarray of shape (n_rows,)
        Class index of each row, so that a replaced row keeps its class.
    rng : numpy Generator, optional
        Draws the values that repair implications going both ways (see
        :mod:`ganaug.sampling.rule_groups`); by default seeded with 0.

    Returns
    -------
    frame : DataFrame
        A new frame with the same columns, dtypes and index.
    """
    if not rules or len(frame) == 0:
        return frame
    out = frame.copy()
    places = {c: facts.get("places") for c, facts in numbers.items()}
    rng = np.random.default_rng(0) if rng is None else rng
    ranges = [r for r in rules if isinstance(r, RangeImplication)]
    # a number sets its flags first: the groups below then make the columns tied to
    # the flag agree with it (a charge that makes the internet service fiber also
    # gives it services), where setting the flag after them left rows that the
    # implications and the ranges pulled back and forth, replaced by copies
    _apply_implications(out, ranges)
    implications = [r for r in rules if isinstance(r, Implication)]
    if implications:
        repair_groups(out, implications, numbers, np.asarray(y), rng)
    consequents = [r for r in rules if isinstance(r, Implication | RangeImplication)]
    if consequents:
        _apply_implications(out, consequents)
    orders = [r for r in rules if isinstance(r, Order)]
    _repair_orders(out, orders, places, numbers, rng)
    for rule in derivation_order([r for r in rules if isinstance(r, Derivation)]):
        predicted = rule.predict(out)
        _set_numbers(out, rule.target, ~np.isnan(predicted), predicted, places.get(rule.target))
    touching = [r for r in orders if _touches_derived(r, rules)]
    _repair_orders(out, touching, places, numbers, rng)
    return _replace_broken(out, rules, numbers, np.asarray(y))


def derivation_order(rules: Sequence[Derivation]) -> list[Derivation]:
    """``rules`` with each column's sources derived before it (Kahn's order).

    Raises
    ------
    ValueError
        When the derivations form a cycle.
    """
    pending = list(rules)
    targets = {r.target for r in pending}
    done: set[Hashable] = set()
    ordered: list[Derivation] = []
    while pending:
        ready = [r for r in pending if all(s not in targets or s in done for s in r.sources)]
        if not ready:
            cycle = " ; ".join(str(r) for r in pending)
            raise ValueError(
                f"the rules {cycle!r} derive columns from each other in a cycle; "
                "keep one direction of each relation."
            )
        for rule in ready:
            ordered.append(rule)
            done.add(rule.target)
            pending.remove(rule)
    return ordered


def _touches_derived(rule: Order, rules: Sequence[Rule]) -> bool:
    targets = {r.target for r in rules if isinstance(r, Derivation)}
    return rule.lower in targets or rule.upper in targets


def _apply_implications(
    frame: pd.DataFrame, rules: Sequence[Implication | RangeImplication]
) -> None:
    for _ in range(len(rules) + 1):
        changed = False
        for rule in rules:
            mask = rule.applies(frame)
            mask &= ~value_equals(frame[rule.then_column], rule.then_value)
            if mask.any():
                column = frame[rule.then_column].copy()
                column.iloc[np.flatnonzero(mask)] = rule.then_value
                frame[rule.then_column] = column
                changed = True
        if not changed:
            return


def order_shares(low: np.ndarray, high: np.ndarray, lowest: float | None) -> list[float] | None:
    """Quantiles of ``(low - lowest) / (high - lowest)`` over the rows where ``low`` is
    above ``lowest``.

    A broken pair's lower value is above its upper one, hence above
    ``lowest``, and it is drawn again among the shares of rows like it. The
    rows at ``lowest`` are often a point mass a rule ties to another column
    (an amount of 0 when there is no claim): on the claims table of
    ``benchmarks/realism.py`` they were six in ten of the shares of claim
    amount below repair cost, so six in ten redrawn amounts came out 0 beside
    a claim count of 1, the rows then broke ``n_claims == 0 -> amount == 0``
    or its converse, and the last step replaced them with copies of other
    rows (11-15% of a class's synthetic rows were duplicates). All defined
    shares are used when fewer than 5 rows are above ``lowest``; None when
    fewer than 5 rows have both values and ``high > lowest``.
    """
    if lowest is None:
        return None
    shares = share_below(low, high, lowest)
    shares = shares[np.isfinite(shares)]
    if len(shares) < 5:
        return None
    if (shares > 0).sum() >= 5:
        shares = shares[shares > 0]
    shares = np.clip(shares, 0.0, 1.0)
    return np.quantile(shares, np.linspace(0, 1, SHARE_LEVELS)).tolist()


def _redraw_below(
    low: np.ndarray,
    high: np.ndarray,
    bad: np.ndarray,
    facts: Mapping[str, Any],
    upper: Hashable,
    rng: np.random.Generator,
) -> None:
    """Draw ``low`` again below ``high``, in place, where ``bad`` and ``high`` leaves room
    above the lowest value; the rest is left to the swaps."""
    shares = next((q for c, q in facts.get("shares", []) if c == upper), None)
    lowest = facts.get("lower")
    if shares is None or lowest is None:
        return
    can = bad & (high > lowest)
    levels = np.linspace(0, 1, len(shares))
    drawn = np.interp(rng.random(int(can.sum())), levels, np.asarray(shares, dtype=float))
    low[can] = value_at_share(drawn, high[can], lowest)


def _repair_orders(
    frame: pd.DataFrame,
    rules: list[Order],
    places: Mapping[Hashable, int | None],
    numbers: Mapping[Hashable, Mapping[str, Any]],
    rng: np.random.Generator,
) -> None:
    if not rules:
        return
    columns = _topological_columns(rules)
    rank = {c: k for k, c in enumerate(columns)}
    values = {c: numeric_values(frame, c).copy() for c in columns}  # may be read-only views
    original = {c: v.copy() for c, v in values.items()}
    # from the top of each chain down: a lower column drawn again cannot break a pair
    # above it, only the one below, which comes later
    for rule in sorted(rules, key=lambda r: (-rank[r.upper], -rank[r.lower])):
        low, high = values[rule.lower], values[rule.upper]
        with np.errstate(invalid="ignore"):
            bad = low > high
        if bad.any():
            _redraw_below(low, high, bad, numbers.get(rule.lower, {}), rule.upper, rng)
    # what could not be drawn again is swapped, along the topological order so that
    # each round is one bubble pass
    pairs = sorted(rules, key=lambda r: (rank[r.lower], rank[r.upper]))
    for _ in range(_MAX_SWAP_ROUNDS):
        swapped = False
        for rule in pairs:
            low, high = values[rule.lower], values[rule.upper]
            with np.errstate(invalid="ignore"):
                bad = low > high
            if bad.any():
                low[bad], high[bad] = high[bad], low[bad].copy()
                swapped = True
        if not swapped:
            break
    for c in columns:
        with np.errstate(invalid="ignore"):
            changed = ~(values[c] == original[c]) & ~np.isnan(values[c])
        _set_numbers(frame, c, changed, values[c], places.get(c))
    # rounding to two different precisions can break a pair it had ordered: tie them
    for rule in pairs:
        low, high = numeric_values(frame, rule.lower), numeric_values(frame, rule.upper)
        with np.errstate(invalid="ignore"):
            bad = low > high
        if bad.any():
            finer_low = (places.get(rule.lower) or 0) >= (places.get(rule.upper) or 0)
            column, source = (rule.lower, high) if finer_low else (rule.upper, low)
            _set_numbers(frame, column, bad, source, places.get(column))


def _topological_columns(rules: list[Order]) -> list[Hashable]:
    """The orders' columns, each after every column it must not be below."""
    columns = list(dict.fromkeys(c for r in rules for c in (r.lower, r.upper)))
    below = {c: {r.lower for r in rules if r.upper == c} for c in columns}
    out: list[Hashable] = []
    while len(out) < len(columns):
        ready = [c for c in columns if c not in out and below[c] <= set(out)]
        # a cycle (a <= b <= a, i.e. equal) is cut at its first column
        out.extend(ready or [next(c for c in columns if c not in out)])
    return out


def _set_numbers(
    frame: pd.DataFrame,
    column: Hashable,
    mask: np.ndarray,
    values: np.ndarray,
    places: int | None,
) -> None:
    """Write ``values[mask]`` into ``column``, rounded and cast to its dtype."""
    if not mask.any():
        return
    new = values[mask]
    if places is not None:
        new = np.round(new, places)
    series = frame[column].copy()
    dtype = series.dtype
    if pd.api.types.is_integer_dtype(dtype):
        new = np.round(new).astype(np.int64)
    elif isinstance(dtype, np.dtype) and dtype.kind == "f":
        new = new.astype(dtype)
    elif isinstance(dtype, np.dtype) and dtype.kind == "O":
        new = np.array([float(v) for v in new], dtype=object)
    series.iloc[np.flatnonzero(mask)] = new
    frame[column] = series


def _replace_broken(
    frame: pd.DataFrame,
    rules: Sequence[Rule],
    numbers: Mapping[Hashable, Mapping[str, Any]],
    y: np.ndarray,
) -> pd.DataFrame:
    broken = np.zeros(len(frame), dtype=bool)
    for rule in rules:
        broken |= ~rule.holds(frame)
        if isinstance(rule, Derivation) and numbers.get(rule.target, {}).get("lower") is not None:
            facts, values = numbers[rule.target], numeric_values(frame, rule.target)
            with np.errstate(invalid="ignore"):
                broken |= (values < facts["lower"]) | (values > facts["upper"])
    if not broken.any():
        return frame
    source = np.arange(len(frame))
    stuck = []
    for label in np.unique(y[broken]):
        good = np.flatnonzero((y == label) & ~broken)
        bad = np.flatnonzero((y == label) & broken)
        if len(good) == 0:
            stuck.append(int(label))
            continue
        source[bad] = good[np.arange(len(bad)) % len(good)]
    if stuck:
        warnings.warn(
            f"Some synthetic rows of class index {stuck} break the table's rules and no "
            "row of their class keeps them all; they are returned as generated. Check "
            "the rules in rules_ for ones that pull against each other.",
            UserWarning,
            stacklevel=2,
        )
    out = frame.iloc[source]
    out.index = frame.index
    return out
