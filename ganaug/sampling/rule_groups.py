"""Implications that go both ways, repaired without moving a category's frequency.

Some conditions always come together: ``internet == 'No'`` and each service
column being ``'No internet service'`` imply each other. When a synthetic row
has only some of them, following the implications forwards would let any one
of them switch on all the others, so that ``internet == 'No'`` would come out
far more often than in the data (0.28 of a class became 0.39 on the telecom
benchmark). Instead, the group's *leader*, the condition on the table's
earliest column (the generator already gives that column its class's real
frequencies), decides: where it holds, the others are set; where it does not,
a member that holds gets another value of its column, drawn from that
column's values in the training rows of the row's class (the group's own
values left out).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .rule_kinds import Implication, value_equals

__all__ = ["category_counts", "repair_groups"]


def category_counts(series: pd.Series, y: np.ndarray, n_classes: int) -> dict[str, Any]:
    """A column's values and their count in each class, as plain JSON-able lists."""
    present = series.notna().to_numpy()
    codes, uniques = pd.factorize(series[present])
    counts = np.zeros((n_classes, len(uniques)), dtype=np.int64)
    np.add.at(counts, (y[present], codes), 1)
    values = [v.item() if isinstance(v, np.generic) else v for v in list(uniques)]
    return {"values": values, "counts": counts.tolist()}


def _groups(rules: Sequence[Implication], order: list[Hashable]) -> list[list[tuple]]:
    """Atoms ``(column, value)`` that imply each other, leader first."""
    atoms = list(dict.fromkeys(a for r in rules for a in _atoms(r)))
    index = {a: k for k, a in enumerate(atoms)}
    reach = np.eye(len(atoms), dtype=bool)
    for rule in rules:
        left, right = _atoms(rule)
        reach[index[left], index[right]] = True
    for k in range(len(atoms)):  # Warshall's transitive closure
        reach |= reach[:, [k]] & reach[[k], :]
    same = reach & reach.T
    groups, seen = [], set()
    for k in range(len(atoms)):
        if k in seen or same[k].sum() < 2:
            continue
        members = [atoms[j] for j in np.flatnonzero(same[k])]
        seen.update(np.flatnonzero(same[k]).tolist())
        position = {c: i for i, c in enumerate(order)}
        members.sort(key=lambda atom: position.get(atom[0], len(order)))
        groups.append(members)
    return groups


def _atoms(rule: Implication) -> tuple[tuple, tuple]:
    return (rule.column, _key(rule.value)), (rule.then_column, _key(rule.then_value))


def _key(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def repair_groups(
    frame: pd.DataFrame,
    rules: Sequence[Implication],
    facts: Mapping[Hashable, Mapping[str, Any]],
    y: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Make each group of mutually implied conditions agree with its leader, in place.

    Parameters
    ----------
    frame : DataFrame
        Synthetic rows; changed in place.
    rules : sequence of Implication
    facts : mapping of column name to dict
        For categorical columns, ``category_counts`` of the training data.
    y : ndarray
        Class index of each row.
    rng : numpy Generator
        Draws the values that replace a member's value.
    """
    for leader, *members in _groups(rules, list(frame.columns)):
        on = value_equals(frame[leader[0]], leader[1])
        forbidden: dict[Hashable, list] = {}
        for column, value in members:
            forbidden.setdefault(column, []).append(value)
        for column, value in members:
            holds = value_equals(frame[column], value)
            series = frame[column].copy()
            series.iloc[np.flatnonzero(on & ~holds)] = value
            off = np.flatnonzero(~on & holds)
            if len(off) and column in facts and "counts" in facts[column]:
                drawn = _draw(facts[column], forbidden[column], y[off], rng)
                keep = np.array([d is not _NONE for d in drawn], dtype=bool)
                if keep.any():
                    series.iloc[off[keep]] = _as_column(
                        [d for d in drawn if d is not _NONE], series.dtype
                    )
            frame[column] = series


_NONE = object()


def _as_column(values: list, dtype: Any) -> Any:
    """``values`` as an array pandas writes into a column of ``dtype`` as they are."""
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return pd.array(values, dtype=dtype)  # a number column (a point mass of it)
    # an object array: pandas would read a list of strings as one value
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _draw(
    facts: Mapping[str, Any], forbidden: list, y: np.ndarray, rng: np.random.Generator
) -> list:
    """One value per row from its class's training values, ``forbidden`` left out."""
    values = facts["values"]
    counts = np.asarray(facts["counts"], dtype=np.float64)
    allowed = np.array([v not in forbidden for v in values], dtype=bool)
    overall = counts.sum(axis=0) * allowed
    out: list = [_NONE] * len(y)
    for label in np.unique(y):
        weights = counts[label] * allowed if label < len(counts) else overall
        if weights.sum() == 0:
            weights = overall  # the class never takes another value: the table's own mix
        if weights.sum() == 0:
            continue
        rows = np.flatnonzero(y == label)
        picks = rng.choice(len(values), size=len(rows), p=weights / weights.sum())
        for row, pick in zip(rows, picks):
            out[row] = values[pick]
    return out
