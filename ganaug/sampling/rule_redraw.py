"""Draw again the synthetic rows that break an order, before any repair.

The rule repair (:mod:`ganaug.sampling.rule_repair`) mends a broken order
``a <= b`` by drawing ``a`` again below ``b``. That keeps the order but moves
one column of the row on its own, and on a table whose columns are tied to each
other it undoes what the relations kept: on the breast cancer table
(``benchmarks/real_tables.py``, wdbc, seed 0) 34% of the generator's rows broke
one of the ten ``mean x <= worst x`` orders, the repair moved the mean radius,
perimeter or area of 15-17% of them, and the spread of the synthetic rows
around ``mean radius ~ mean area ** b`` grew from 0.007 (as the real rows'
0.008) to 0.075 in logs. A real row keeps its orders, so a synthetic row that
breaks one is a row the generator should not have drawn; drawing rows of the
same classes in its place, and keeping those that keep every order, samples
the generator's distribution given the orders, as rejection sampling does.
That is done only for orders on a column that a relation ties to others (see
:func:`tied_orders`, and the credit card table there for why).
Each round leaves the share broken of the one before, so a few leave almost
nothing for the repair; a class the generator draws mostly broken still gets
it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence

import numpy as np
import pandas as pd

from .rule_kinds import Order, Rule
from .rules import broken_rows

__all__ = ["REDRAW_ROUNDS", "redraw_broken_orders", "tied_orders"]

# Rounds of drawing again. Each draws only the rows still broken, so they cost little;
# with a third of the rows broken, eight leave about 1 in 20,000 (three left 1%, and the
# repair moved those rows' lower values far off their relations).
REDRAW_ROUNDS = 8


def tied_orders(rules: Sequence[Rule], tied: Iterable[Hashable]) -> list[Order]:
    """The orders among ``rules`` with a column in ``tied`` (columns a relation ties to others).

    Only these are drawn again: elsewhere the repair, which keeps the upper
    column and each other column as drawn, keeps the marginals better than
    dropping rows does. On the credit card table (seed 3) the training split
    showed ``reports <= active``; the generator broke it in 8.6% of the rows of
    the class without a card, nearly all with no active account, and drawing
    them again took the class's median of active accounts from 4 to 6 (the
    detection AUC 0.608 to 0.760), where the repair set their reports to 0.
    """
    tied = set(tied)
    return [r for r in rules if isinstance(r, Order) and tied.intersection(r.columns)]


def redraw_broken_orders(
    draw: Callable[[np.ndarray], pd.DataFrame],
    y: np.ndarray,
    orders: Sequence[Rule],
    rounds: int = REDRAW_ROUNDS,
) -> pd.DataFrame:
    """Rows of classes ``y`` from ``draw``, those breaking an order drawn again.

    Parameters
    ----------
    draw : callable
        ``draw(y)``: unrepaired rows of classes ``y``, as a DataFrame with a
        default index; called again with the classes of the broken rows.
    y : ndarray of shape (n_rows,)
        Class index of each row asked for.
    orders : sequence of Rule
        The orders to keep (see :func:`tied_orders`); other rules are ignored.
    rounds : int
        Draws at most after the first. Rows still broken after them are
        returned as drawn last, for the rule repair.

    Returns
    -------
    DataFrame
        One row per entry of ``y``, in its order.
    """
    frame = draw(y)
    orders = [r for r in orders if isinstance(r, Order)]
    if not orders or len(frame) == 0:
        return frame
    frames, source = [frame], np.arange(len(frame))
    broken = np.flatnonzero(broken_rows(frame, orders))
    offset = len(frame)
    for _ in range(rounds):
        if len(broken) == 0:
            break
        fresh = draw(np.asarray(y)[broken])
        kept = ~broken_rows(fresh, orders)
        source[broken[kept]] = offset + np.flatnonzero(kept)
        frames.append(fresh)
        offset += len(fresh)
        broken = broken[~kept]
    if len(frames) == 1:
        return frame
    return pd.concat(frames, ignore_index=True).iloc[source].reset_index(drop=True)
