"""The rule set of a fit: the user's rules, checked on the training table, plus discovered ones.

:func:`fit_rules` runs before any training. A user rule that cannot be used
raises a ``ValueError`` that quotes it: a column the table does not have, a
numeric rule on a categorical column, a consequent value the column never
takes, two rules that contradict each other (one antecedent implying two
values, two derivations of one column, derivations or orders in a cycle), or
a rule that training rows break (with their number).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .rule_derivations import reaches
from .rule_discovery import discover_rules, is_numeric_column
from .rule_groups import category_counts
from .rule_kinds import (
    Derivation,
    Implication,
    Order,
    RangeImplication,
    Rule,
    column_decimals,
    numeric_values,
    relative_eps,
    value_equals,
)
from .rule_parsing import parse_rule
from .rule_repair import derivation_order, order_shares

__all__ = ["fit_rules"]


def fit_rules(
    frame: pd.DataFrame,
    categorical: Sequence[Hashable],
    rules: Sequence[Any] | None,
    discover: bool,
    y: np.ndarray | None = None,
) -> tuple[list[Rule], dict[Hashable, dict[str, Any]]]:
    """Check the user's ``rules`` on ``frame`` and add the discovered ones.

    Parameters
    ----------
    frame : DataFrame
        The training table (the caller's column names); not modified.
    categorical : sequence of column names
        Numeric columns modelled as categories.
    rules : list of str or Rule, or None
        The user's rules (see :func:`ganaug.sampling.rules.parse_rule`).
    discover : bool
        Whether to add the rules :func:`discover_rules` finds.
    y : ndarray of int, optional
        Class index of each row (all 0 by default).

    Returns
    -------
    rules : list of Rule
        The user's rules (duplicates dropped), then the discovered ones.
    facts : dict of column name to dict
        What :func:`~ganaug.sampling.rule_repair.enforce_rules` needs to know of
        the training data: for each numeric column a rule uses, its decimal
        places (``"places"``, None for any float) and range (``"lower"``,
        ``"upper"``); for each column of an implication, its values and their
        count per class (``"values"``, ``"counts"``); for the lower column of an
        order, the quantiles of its share of the upper one (``"shares"``, a list
        of ``[upper column, quantiles]``; see
        :func:`~ganaug.sampling.rule_repair.order_shares`).

    Raises
    ------
    ValueError, TypeError
        For a rule that cannot be read or used (see the module docstring).
    """
    columns = list(frame.columns)
    given = []
    for raw in rules or []:
        rule = parse_rule(raw, columns)
        if rule not in given:
            given.append(rule)
    for rule in given:
        _check_columns(rule, frame, categorical)
    _check_contradictions(given)
    for rule in given:
        broken = int((~rule.holds(frame)).sum())
        if broken:
            raise ValueError(
                f"The rule {str(rule)!r} is broken by {broken} of the {len(frame)} training "
                "rows; a rule must hold in every row. Fix the rule or the data, or leave "
                "the rule out."
            )
    found = discover_rules(frame, categorical, known=given) if discover else []
    out = given + found
    y = np.zeros(len(frame), dtype=np.int64) if y is None else np.asarray(y)
    facts: dict[Hashable, dict[str, Any]] = {}
    for c in dict.fromkeys(c for r in out if isinstance(r, Implication) for c in r.columns):
        facts[c] = category_counts(frame[c], y, int(y.max()) + 1 if len(y) else 1)
    for c in dict.fromkeys(c for r in out for c in _numeric_columns(r)):
        values = numeric_values(frame, c)
        finite = values[np.isfinite(values)]
        facts[c] = {
            **facts.get(c, {}),
            "places": column_decimals(values, relative_eps(frame[c])),
            "lower": float(finite.min()) if len(finite) else None,
            "upper": float(finite.max()) if len(finite) else None,
        }
    for rule in (r for r in out if isinstance(r, Order)):
        shares = order_shares(
            numeric_values(frame, rule.lower),
            numeric_values(frame, rule.upper),
            facts[rule.lower]["lower"],
        )
        if shares is not None:
            facts[rule.lower].setdefault("shares", []).append([rule.upper, shares])
    return out, facts


def _numeric_columns(rule: Rule) -> tuple[Hashable, ...]:
    """The columns that ``rule`` reads as numbers."""
    if isinstance(rule, Implication):
        return ()
    if isinstance(rule, RangeImplication):
        return (rule.column,)
    return rule.columns


def _check_columns(rule: Rule, frame: pd.DataFrame, categorical: Sequence[Hashable]) -> None:
    known = list(frame.columns)
    for column in rule.columns:
        if column not in known:
            shown = ", ".join(repr(c) for c in known[:10]) + (", ..." if len(known) > 10 else "")
            raise ValueError(
                f"The rule {str(rule)!r} names the column {column!r}, which X does not "
                f"have; its columns are {shown}."
            )
    if isinstance(rule, Implication | RangeImplication):
        if not value_equals(frame[rule.then_column], rule.then_value).any():
            raise ValueError(
                f"The rule {str(rule)!r} sets {rule.then_column!r} to {rule.then_value!r}, "
                "a value that column never takes in the training data."
            )
    for column in _numeric_columns(rule):
        if not is_numeric_column(frame[column], column in set(categorical)):
            raise ValueError(
                f"The rule {str(rule)!r} compares numbers, but column {column!r} is "
                "categorical; write an implication (a == 'x' -> b == 'y') instead."
            )


def _check_contradictions(rules: list[Rule]) -> None:
    implied: dict[tuple, Implication] = {}
    for rule in rules:
        if isinstance(rule, Implication):
            key = (rule.column, _key(rule.value), rule.then_column)
            other = implied.setdefault(key, rule)
            if _key(other.then_value) != _key(rule.then_value):
                raise ValueError(
                    f"The rules {str(other)!r} and {str(rule)!r} contradict each other: "
                    "the same condition implies two different values."
                )
    derived: dict[Hashable, Derivation] = {}
    for rule in rules:
        if isinstance(rule, Derivation):
            other = derived.setdefault(rule.target, rule)
            if other is not rule:
                raise ValueError(
                    f"The rules {str(other)!r} and {str(rule)!r} both derive column "
                    f"{rule.target!r}; give one derivation per column."
                )
    derivation_order(list(derived.values()))  # raises on a cycle
    orders = [r for r in rules if isinstance(r, Order)]
    for rule in orders:
        if _above(rule.upper, rule.lower, orders):
            raise ValueError(
                f"The rule {str(rule)!r} closes a cycle of orders, which forces the columns "
                f"to be equal; write {rule.upper} == {rule.lower} instead."
            )


def _key(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _above(start: Hashable, goal: Hashable, orders: list[Order]) -> bool:
    """Whether the orders say ``goal >= ... >= start`` through a chain from ``start``."""
    return reaches([start], goal, lambda column: [r.upper for r in orders if r.lower == column])
