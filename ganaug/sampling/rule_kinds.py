"""The kinds of rule, as frozen dataclasses of plain values; see :mod:`ganaug.sampling.rules`."""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "Derivation",
    "Implication",
    "Multiple",
    "Offset",
    "Order",
    "RangeImplication",
    "Rule",
    "Sum",
    "column_decimals",
    "numeric_values",
    "relative_eps",
    "share_below",
    "value_at_share",
    "value_codes",
    "value_equals",
]

# Most decimal places a column is searched for: beyond this a column is "any float".
MAX_DECIMALS = 8
# Relative slack for float arithmetic: float64 sums and products of stored values
# are off by a few ulps; float32 columns by a few of theirs.
_REL_EPS64 = 1e-9
_REL_EPS32 = 1e-6


# -- values in a frame ---------------------------------------------------------------------


def numeric_values(frame: pd.DataFrame, column: Hashable) -> np.ndarray:
    """Column ``column`` of ``frame`` as float64, NaN where missing.

    Raises
    ------
    TypeError
        When the column does not hold numbers.
    """
    series = frame[column]
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        if isinstance(dtype, np.dtype) and dtype.kind == "O":
            converted = pd.to_numeric(series, errors="coerce")
            if converted.notna().sum() == series.notna().sum():
                return converted.to_numpy(dtype=np.float64, na_value=np.nan)
        raise TypeError(f"column {column!r} is not numeric (dtype {dtype})")
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def value_codes(series: pd.Series, numeric: bool, min_support: int) -> tuple[np.ndarray, list, int]:
    """A column's value codes (-1 where missing), its levels, and how many can be in a rule.

    Every category can be; of a numeric column, only the values of at least
    ``min_support`` rows (point masses: a zero, a whole number of claims). Its
    other values share one last level, which no rule names.
    """
    code, uniques = pd.factorize(series, use_na_sentinel=True)
    code = code.astype(np.int64)
    if not numeric:
        return code, list(uniques), len(uniques)
    counts = np.bincount(code[code >= 0], minlength=len(uniques))
    kept = np.flatnonzero(counts >= min_support)
    remap = np.full(len(uniques) + 1, len(kept), dtype=np.int64)
    remap[kept] = np.arange(len(kept))
    remap[-1] = -1  # code -1 (missing) indexes the last slot
    return remap[code], [uniques[k] for k in kept] + [None], len(kept)


def relative_eps(series: pd.Series) -> float:
    """Relative slack of float arithmetic on ``series``'s dtype (float32 is coarser)."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "f" and dtype.itemsize < 8:
        return _REL_EPS32
    if str(dtype) == "Float32":
        return _REL_EPS32
    return _REL_EPS64


def column_decimals(values: np.ndarray, rel_eps: float = _REL_EPS64) -> int | None:
    """The fewest decimal places (0 to ``MAX_DECIMALS``) that hold every finite value.

    ``12.30`` and ``7.25`` need 2; whole numbers need 0. None when no number of
    places up to ``MAX_DECIMALS`` does (a column of arbitrary floats) or when
    there is no finite value.
    """
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return None
    for places in range(MAX_DECIMALS + 1):
        scaled = finite * 10.0**places
        slack = rel_eps * np.maximum(np.abs(scaled), 1.0)
        if np.all(np.abs(scaled - np.round(scaled)) <= slack):
            return places
    return None


def _tolerance(target: np.ndarray, predicted: np.ndarray, places: int | None, rel: float) -> Any:
    """How far a target may sit from its derivation and still keep the rule."""
    half_unit = 0.0 if places is None else 0.5 * 10.0**-places
    return half_unit + rel * np.maximum(np.abs(target) + np.abs(predicted), 1.0)


def value_equals(series: pd.Series, value: Any) -> np.ndarray:
    """Per row, whether ``series`` equals ``value`` (False where missing)."""
    try:
        # pandas' own comparison: fast on Arrow strings and categories
        equal = series.eq(value)
        return np.array(equal.fillna(False) if equal.dtype != bool else equal, dtype=bool)
    except (TypeError, ValueError):  # a value the column's type cannot compare with
        pass
    present = series.notna().to_numpy()
    out = np.zeros(len(series), dtype=bool)
    if present.any():
        values = series.to_numpy(dtype=object)[present]
        out[present] = np.asarray(values == value, dtype=bool).reshape(-1)
    return out


# -- the rules -----------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\Z")


def _name(column: Hashable) -> str:
    """A column name as rule text: bare when it reads as one, else in backticks."""
    text = str(column)
    if isinstance(column, str) and _IDENTIFIER.match(text) and text not in ("True", "False"):
        return text
    return f"`{text}`"


def _number(value: float) -> str:
    """Shortest text that reads back as the same float (whole numbers without ``.0``)."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _literal(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | float | np.integer | np.floating):
        return _number(float(value)) if isinstance(value, float | np.floating) else str(value)
    return repr(str(value))


class Rule:
    """A fact every row of a table obeys; see the module docstring for the kinds."""

    @property
    def columns(self) -> tuple[Hashable, ...]:
        """The columns the rule reads or writes."""
        raise NotImplementedError

    def holds(self, frame: pd.DataFrame) -> np.ndarray:
        """Per row of ``frame``, whether the rule holds (bool array)."""
        raise NotImplementedError

    def __str__(self) -> str:
        raise NotImplementedError


class Derivation(Rule):
    """A numeric rule that computes its ``target`` column from ``sources``."""

    target: Hashable

    @property
    def sources(self) -> tuple[Hashable, ...]:
        raise NotImplementedError

    @property
    def columns(self) -> tuple[Hashable, ...]:
        return (self.target, *self.sources)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """The target's value that the rule gives each row (NaN where a source is)."""
        raise NotImplementedError

    def residual(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """``(target - predicted, predicted)`` per row, NaN where a value is missing."""
        predicted = self.predict(frame)
        return numeric_values(frame, self.target) - predicted, predicted

    def holds(self, frame: pd.DataFrame, places: int | None | str = "infer") -> np.ndarray:
        """Per row, whether the target equals its derivation within its rounding.

        ``places`` is the target's decimal places; by default read from the
        target column of ``frame`` itself (see :func:`column_decimals`).
        """
        series = frame[self.target]
        target = numeric_values(frame, self.target)
        rel = relative_eps(series)
        if places == "infer":
            places = column_decimals(target, rel)
        predicted = self.predict(frame)
        with np.errstate(invalid="ignore"):
            ok = np.abs(target - predicted) <= _tolerance(target, predicted, places, rel)
        return ok | np.isnan(target) | np.isnan(predicted)


class _Conditional(Rule):
    """A rule ``condition -> then_column == then_value``; :meth:`applies` is the condition."""

    then_column: Hashable
    then_value: Any

    def applies(self, frame: pd.DataFrame) -> np.ndarray:
        """Per row, whether the condition holds (so the consequent must)."""
        raise NotImplementedError

    def holds(self, frame: pd.DataFrame) -> np.ndarray:
        return ~self.applies(frame) | value_equals(frame[self.then_column], self.then_value)


@dataclass(frozen=True)
class Implication(_Conditional):
    """``column == value -> then_column == then_value`` in every row."""

    column: Hashable
    value: Any
    then_column: Hashable
    then_value: Any

    @property
    def columns(self) -> tuple[Hashable, ...]:
        return (self.column, self.then_column)

    def applies(self, frame: pd.DataFrame) -> np.ndarray:
        return value_equals(frame[self.column], self.value)

    def __str__(self) -> str:
        return (
            f"{_name(self.column)} == {_literal(self.value)} -> "
            f"{_name(self.then_column)} == {_literal(self.then_value)}"
        )


@dataclass(frozen=True)
class RangeImplication(_Conditional):
    """``lower <= column <= upper -> then_column == then_value`` in every row.

    A bound of None is open: ``education >= 13 -> college == 'yes'``. This is
    the rule of a flag or a band computed from a number (a college degree from
    years of schooling, an age band from an age).
    """

    column: Hashable
    lower: float | None
    upper: float | None
    then_column: Hashable
    then_value: Any

    @property
    def columns(self) -> tuple[Hashable, ...]:
        return (self.column, self.then_column)

    def applies(self, frame: pd.DataFrame) -> np.ndarray:
        """Per row, whether ``column`` lies in the range (False where missing)."""
        x = numeric_values(frame, self.column)
        inside = ~np.isnan(x)
        with np.errstate(invalid="ignore"):
            if self.lower is not None:
                inside &= x >= self.lower
            if self.upper is not None:
                inside &= x <= self.upper
        return inside

    def __str__(self) -> str:
        name = _name(self.column)
        if self.lower is not None and self.upper is not None:
            condition = f"{_number(self.lower)} <= {name} <= {_number(self.upper)}"
        elif self.lower is not None:
            condition = f"{name} >= {_number(self.lower)}"
        else:
            condition = f"{name} <= {_number(self.upper)}"
        return f"{condition} -> {_name(self.then_column)} == {_literal(self.then_value)}"


@dataclass(frozen=True)
class Multiple(Derivation):
    """``target == factor * source`` in every row."""

    target: Hashable
    source: Hashable
    factor: float

    @property
    def sources(self) -> tuple[Hashable, ...]:
        return (self.source,)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return self.factor * numeric_values(frame, self.source)

    def __str__(self) -> str:
        return f"{_name(self.target)} == {_number(self.factor)} * {_name(self.source)}"


@dataclass(frozen=True)
class Offset(Derivation):
    """``target == source + offset`` in every row (``target == source`` for 0)."""

    target: Hashable
    source: Hashable
    offset: float = 0.0

    @property
    def sources(self) -> tuple[Hashable, ...]:
        return (self.source,)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return numeric_values(frame, self.source) + self.offset

    def __str__(self) -> str:
        left = f"{_name(self.target)} == {_name(self.source)}"
        if self.offset == 0:
            return left
        sign = "-" if self.offset < 0 else "+"
        return f"{left} {sign} {_number(abs(self.offset))}"


@dataclass(frozen=True)
class Sum(Derivation):
    """``target == sources[0] + sources[1] + ...`` in every row."""

    target: Hashable
    terms: tuple[Hashable, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "terms", tuple(self.terms))

    @property
    def sources(self) -> tuple[Hashable, ...]:
        return self.terms

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return np.sum([numeric_values(frame, c) for c in self.terms], axis=0)

    def __str__(self) -> str:
        return f"{_name(self.target)} == " + " + ".join(_name(c) for c in self.terms)


def share_below(low: np.ndarray, high: np.ndarray, lowest: float) -> np.ndarray:
    """How far up ``[lowest, high]`` each ``low`` sits: ``(low - lowest) / (high - lowest)``.

    NaN where a value is missing or ``high`` is not above ``lowest`` (no room).
    """
    room = high - lowest
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(room > 0, (low - lowest) / room, np.nan)


def value_at_share(share: np.ndarray, high: np.ndarray, lowest: float) -> np.ndarray:
    """The value ``share`` of the way up ``[lowest, high]``: the inverse of :func:`share_below`."""
    return lowest + share * (high - lowest)


@dataclass(frozen=True)
class Order(Rule):
    """``lower <= upper`` in every row where both are present."""

    lower: Hashable
    upper: Hashable

    @property
    def columns(self) -> tuple[Hashable, ...]:
        return (self.lower, self.upper)

    def holds(self, frame: pd.DataFrame) -> np.ndarray:
        low = numeric_values(frame, self.lower)
        high = numeric_values(frame, self.upper)
        with np.errstate(invalid="ignore"):
            return ~(low > high)

    def __str__(self) -> str:
        return f"{_name(self.lower)} <= {_name(self.upper)}"
