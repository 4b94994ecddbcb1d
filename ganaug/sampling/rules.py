"""Rules that every row of a table obeys: what they say, and whether a row keeps them.

A rule is a small frozen dataclass of plain values (column names, numbers,
category values), so it prints as the user would write it, parses back from
that text (:func:`parse_rule`, no ``eval``) and stores as JSON. Six kinds:

- :class:`Implication`: ``A == a -> B == b``;
- :class:`RangeImplication`: ``lo <= A <= hi -> B == b`` (or ``A >= lo``, ``A <= hi``);
- :class:`Multiple`: ``B == k * A``;
- :class:`Offset`: ``B == A + c`` (``B == A`` when ``c`` is 0);
- :class:`Sum`: ``C == A + B`` (two or more sources);
- :class:`Order`: ``a <= b``.

The three numeric relations are *derivations*: the first column is computed
from the others. "Equal" means equal within the target column's rounding: a
column stored to cents keeps a rule when ``|B - k * A|`` is at most half a cent
(plus a little for float arithmetic), whatever the sources' precision. A
missing value (NaN) in a column makes a numeric rule hold vacuously in that
row; an implication holds where the antecedent is not ``a`` (NaN included) and
breaks where the consequent is NaN, and so does a range implication outside its
range.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from . import rule_kinds
from .rule_kinds import *  # noqa: F403 -- the kinds live in rule_kinds; users import them here
from .rule_kinds import Rule
from .rule_parsing import parse_rule

__all__ = ["broken_rows", "parse_rule"]
__all__ += rule_kinds.__all__


def broken_rows(frame: pd.DataFrame, rules: Iterable[Rule]) -> np.ndarray:
    """Per row of ``frame``, whether it breaks at least one of ``rules``."""
    broken = np.zeros(len(frame), dtype=bool)
    for rule in rules:
        broken |= ~rule.holds(frame)
    return broken
