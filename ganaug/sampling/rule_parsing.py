"""Rules written as text: ``parse_rule("charge == 0.25 * minutes")``, without ``eval``."""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Hashable, Sequence
from typing import Any

from .rule_kinds import Implication, Multiple, Offset, Order, RangeImplication, Rule, Sum

__all__ = ["parse_rule"]


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<name>`[^`]+`)
      | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
      | (?P<op>->|=>|==|<=|>=|[-+*<>=])
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ValueError(f"cannot read rule {text!r} at {text[position:]!r}")
        position = match.end()
        kind = match.lastgroup
        raw = match.group(kind)
        if kind == "name":
            out.append(("name", raw[1:-1]))
        elif kind == "string":
            try:
                out.append(("value", ast.literal_eval(raw)))  # a string literal only: safe
            except (SyntaxError, ValueError):
                raise ValueError(f"cannot read the quoted value {raw}") from None
        elif kind == "number":
            value = float(raw)
            out.append(("value", int(value) if re.fullmatch(r"\d+", raw) else value))
        elif kind == "word" and raw in ("True", "False"):
            out.append(("value", raw == "True"))
        elif kind == "word":
            out.append(("name", raw))
        else:
            out.append(("op", raw))
        # a minus after an operator (or first) is a negative number's sign
        if (
            len(out) >= 2
            and out[-1][0] == "value"
            and not isinstance(out[-1][1], str | bool)
            and out[-2] == ("op", "-")
            and (len(out) == 2 or out[-3][0] == "op")
        ):
            out[-2:] = [("value", -out[-1][1])]
    return out


def _resolve(name: str, columns: Sequence[Hashable] | None) -> Hashable:
    """``name`` as a column of ``columns``: ``"3"`` is column ``3`` of an ndarray."""
    if columns is None or name in columns:
        return name
    if re.fullmatch(r"\d+", name) and int(name) in columns:
        return int(name)
    return name


def parse_rule(text: str | Rule, columns: Sequence[Hashable] | None = None) -> Rule:
    """Read a rule written as text, e.g. ``"charge == 0.25 * minutes"``.

    Forms (column names bare, or in backticks when they hold spaces or
    symbols; category values quoted; numbers as usual)::

        years_in_role <= years_at_company      (also: b >= a)
        total == a + b                         (two or more columns)
        charge == 0.25 * minutes               (also: minutes * 0.25)
        balance == deposit + 100               (also: - 100; or plain ``b == a``)
        internet == 'No' -> streaming == 'No internet service'
        education >= 13 -> college == 'yes'  (also: a <= 12, 20 <= a <= 29)

    Parameters
    ----------
    text : str or Rule
        A rule object is returned as it is.
    columns : sequence, optional
        The table's column names: a backticked number such as ```3``` then
        means the integer column 3 when there is no column named ``"3"``.

    Returns
    -------
    rule : Rule

    Raises
    ------
    ValueError
        When the text is not one of the forms above.
    """
    if isinstance(text, Rule):
        return text
    if not isinstance(text, str):
        raise TypeError(f"a rule is a string or a ganaug Rule, got {type(text).__name__}")
    try:
        tokens = _tokens(text)
        return _parse(tokens, columns)
    except ValueError as exc:
        raise ValueError(
            f"cannot read rule {text!r} ({exc}). Write e.g. 'a <= b', 'c == a + b', "
            "'c == 0.25 * a', 'c == a + 100', \"a == 'x' -> b == 'y'\" or "
            "\"a >= 5 -> b == 'y'\"."
        ) from None


def _parse(tokens: list[tuple[str, Any]], columns: Sequence[Hashable] | None) -> Rule:
    ops = [i for i, (kind, raw) in enumerate(tokens) if kind == "op" and raw in ("->", "=>")]
    if ops:
        if len(ops) > 1:
            raise ValueError("one '->' at most")
        left, right = tokens[: ops[0]], tokens[ops[0] + 1 :]
        b, vb = _equality(right, columns)
        if any(kind == "op" and raw in ("<=", ">=", "<", ">") for kind, raw in left):
            a, lower, upper = _range(left, columns)
            return RangeImplication(a, lower, upper, b, vb)
        a, va = _equality(left, columns)
        return Implication(a, va, b, vb)
    if len(tokens) == 3 and tokens[1] in (("op", "<="), ("op", ">=")):
        if tokens[0][0] != "name" or tokens[2][0] != "name":
            raise ValueError("an order compares two columns")
        a, b = _resolve(tokens[0][1], columns), _resolve(tokens[2][1], columns)
        return Order(a, b) if tokens[1][1] == "<=" else Order(b, a)
    if len(tokens) >= 3 and tokens[1] == ("op", "==") and tokens[0][0] == "name":
        return _derivation(_resolve(tokens[0][1], columns), tokens[2:], columns)
    if any(token in (("op", "<"), ("op", ">")) for token in tokens):
        raise ValueError("strict orders (<, >) are not supported; use <= or >=")
    raise ValueError("not a rule form ganaug knows")


def _equality(tokens: list[tuple[str, Any]], columns: Sequence[Hashable] | None) -> tuple:
    if len(tokens) != 3 or tokens[0][0] != "name" or tokens[1] != ("op", "=="):
        raise ValueError("each side of '->' is column == value")
    if tokens[2][0] != "value":
        raise ValueError("the value of an implication is quoted text, a number or True/False")
    return _resolve(tokens[0][1], columns), tokens[2][1]


def _range(tokens: list[tuple[str, Any]], columns: Sequence[Hashable] | None) -> tuple:
    """``a >= 1``, ``a <= 9`` or ``1 <= a <= 9``: the column and its (lower, upper) bounds."""
    kinds = [kind for kind, _ in tokens]
    if kinds == ["name", "op", "value"] and tokens[1][1] in ("<=", ">="):
        bound = _float(tokens[2][1])
        column = _resolve(tokens[0][1], columns)
        return (column, bound, None) if tokens[1][1] == ">=" else (column, None, bound)
    if kinds == ["value", "op", "name", "op", "value"] and tokens[1] == tokens[3] == ("op", "<="):
        lower, upper = _float(tokens[0][1]), _float(tokens[4][1])
        if lower > upper:
            raise ValueError(f"the range {lower:g} to {upper:g} is empty")
        return _resolve(tokens[2][1], columns), lower, upper
    raise ValueError(
        "a range before '->' is a >= number, a <= number or number <= a <= number "
        "(strict < and > are not supported)"
    )


def _derivation(
    target: Hashable, rhs: list[tuple[str, Any]], columns: Sequence[Hashable] | None
) -> Rule:
    kinds = [kind for kind, _ in rhs]
    if kinds == ["name"]:
        return Offset(target, _resolve(rhs[0][1], columns), 0.0)
    if len(rhs) == 3 and rhs[1] == ("op", "*"):
        if kinds == ["value", "op", "name"]:
            factor, source = rhs[0][1], rhs[2][1]
        elif kinds == ["name", "op", "value"]:
            factor, source = rhs[2][1], rhs[0][1]
        else:
            raise ValueError("a multiple is number * column")
        return Multiple(target, _resolve(source, columns), _float(factor))
    if len(rhs) == 3 and kinds == ["name", "op", "value"] and rhs[1][1] in "+-":
        offset = _float(rhs[2][1])
        return Offset(target, _resolve(rhs[0][1], columns), offset if rhs[1][1] == "+" else -offset)
    if len(rhs) >= 3 and len(rhs) % 2 == 1:
        names = rhs[0::2]
        if all(kind == "name" for kind, _ in names) and all(op == ("op", "+") for op in rhs[1::2]):
            return Sum(target, tuple(_resolve(raw, columns) for _, raw in names))
    raise ValueError(
        "the right side is a column, a sum of columns, number * column or column + number"
    )


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{value!r} is not a number")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{value!r} is not finite")
    return out
