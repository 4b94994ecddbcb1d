"""Give synthetic rows the values that their key fixes, as the training rows have them.

A generator models a professor's ID, her age and her beauty score as three
columns and combines them freely: rows of professor 17 come out at ages she
never had, where every real row of hers shows one age. :class:`KeyTables`
keeps, for each key that :func:`ganaug.sampling.key_discovery.find_keys`
finds, the values that each of the key's training values fixes, and sets them
in every synthetic row whose key has one of those values. A row whose key no
training row has (a whole number never seen) stands for a new entity and keeps
what was generated; so does a row whose key is missing.

The key itself stays as generated, with one exception. A key may also fix the
class (each professor teaches as one gender), and the generator may still give
a row of one class the key of another; such a row gets a key of its own class,
drawn in proportion to the key values' training rows, and that key's fixed
values. On the course-evaluation table of ``benchmarks/real_tables.py`` (5
seeds, 4 draws each from the same fits; the class is the professor's gender),
the generator gave 70-80% of the thinned class's rows another class's
professor. On the same fits, the draw lowered the detection AUC from 0.796
without keys to 0.777 (lower on 4 of 5 seeds) and the share of rows that break
the table's key rule from 1.00 to 0.33; leaving those rows as generated scored
0.779 and 0.76 (drawing keys uniformly instead of by their rows: 0.764 and
0.31, within a draw's noise). Two other treatments were worse: the other
class's professor's values (they taught a classifier the wrong class: balanced
accuracy 0.681 to 0.650 in a run of the benchmark), and the class's professor
nearest in the fixed columns (the rows piled onto a few central professors, 14
rows on one, and the detection AUC stayed at 0.796).

The model keeps these tables, so a fitted model holds each key value's fixed
values (not whole training rows).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .key_discovery import find_keys

__all__ = ["KeyTable", "KeyTables", "fit_key_tables"]


class KeyTable:
    """One key, the columns it fixes and their values for each training value of the key.

    Parameters
    ----------
    key : column name
    columns : list of column names
        The columns ``key`` fixes.
    keys : ndarray of object, shape (m,)
        The key's training values, each once.
    values : ndarray of object, shape (m, len(columns))
        The fixed columns' values for each of them.
    classes : ndarray of int, shape (m,), optional
        The class of each key value, when the key fixes the class. None: the
        key does not fix it.
    counts : ndarray of int, shape (m,), optional
        Training rows of each key value (1 each when not given): how often a
        row given a key of its own class draws it.
    """

    def __init__(
        self,
        key: Hashable,
        columns: Sequence[Hashable],
        keys: np.ndarray,
        values: np.ndarray,
        classes: np.ndarray | None = None,
        counts: np.ndarray | None = None,
    ) -> None:
        self.key = key
        self.columns = list(columns)
        self.keys = np.asarray(keys, dtype=object)
        self.values = np.asarray(values, dtype=object).reshape(len(self.keys), len(self.columns))
        self.classes = None if classes is None else np.asarray(classes, dtype=np.int64)
        self.counts = np.ones(len(self.keys)) if counts is None else np.asarray(counts, float)
        self._lookup = {k: i for i, k in enumerate(self.keys.tolist())}

    @classmethod
    def fit(
        cls,
        frame: pd.DataFrame,
        y: np.ndarray,
        key: Hashable,
        columns: Sequence[Hashable],
        fixes_class: bool = False,
    ) -> KeyTable:
        """The table of ``key`` from the training rows ``frame`` of classes ``y``."""
        keys = _objects(frame[key])
        present = np.flatnonzero([not _missing(v) for v in keys])
        codes = pd.factorize(pd.Series(keys[present], dtype=object))[0]
        first, counts = np.unique(codes, return_index=True, return_counts=True)[1:]
        order = np.argsort(first)  # the values in the order they first occur
        rows = present[first[order]]
        values = np.column_stack([_objects(frame[c])[rows] for c in columns])
        classes = np.asarray(y)[rows] if fixes_class else None
        return cls(key, columns, keys[rows], values, classes, counts[order])

    def apply(self, frame: pd.DataFrame, y: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
        """``frame`` (rows of classes ``y``) with the fixed values set where the key is known.

        Where the key fixes the class, a row given another class's key gets a
        key of its own class instead, drawn from ``rng`` in proportion to the
        value's training rows.
        """
        y = np.asarray(y)
        entry = np.array(
            [-1 if _missing(v) else self._lookup.get(v, -1) for v in _objects(frame[self.key])],
            dtype=np.int64,
        )
        moved = np.zeros(0, dtype=np.int64)
        if self.classes is not None:
            astray = np.flatnonzero((entry >= 0) & (self.classes[np.maximum(entry, 0)] != y))
            entry[astray] = -1
            for c in np.unique(y[astray]):
                own = np.flatnonzero(self.classes == c)
                if len(own) == 0:  # a class without keys keeps what was generated
                    continue
                rows = astray[y[astray] == c]
                weights = self.counts[own] / self.counts[own].sum()
                entry[rows] = rng.choice(own, size=len(rows), p=weights)
                moved = np.r_[moved, rows]
        rows = np.flatnonzero(entry >= 0)
        if len(rows) == 0:
            return frame
        out = frame.copy(deep=False)  # whole columns are replaced, none is written into
        if len(moved):
            out[self.key] = _set(out[self.key], moved, self.keys[entry[moved]])
        for j, column in enumerate(self.columns):
            out[column] = _set(out[column], rows, self.values[entry[rows], j])
        return out

    def get_state(self) -> dict[str, Any]:
        """Plain values and arrays (see :mod:`ganaug._persistence`)."""
        return {
            "key": self.key,
            "columns": self.columns,
            "keys": self.keys,
            "values": self.values,
            "classes": self.classes,
            "counts": self.counts,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> KeyTable:
        """Rebuild a table saved by :meth:`get_state`."""
        fields = ("key", "columns", "keys", "values", "classes", "counts")
        return cls(*(state[f] for f in fields))


class KeyTables:
    """Every key's table, applied in turn (a column belongs to one key at most)."""

    def __init__(self, tables: Sequence[KeyTable]) -> None:
        self.tables = list(tables)

    def __len__(self) -> int:
        return len(self.tables)

    def apply(self, frame: pd.DataFrame, y: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
        """``frame`` (rows of classes ``y``) with every key's fixed values set; the frame
        passed in is not changed."""
        for table in self.tables:
            frame = table.apply(frame, y, rng)
        return frame

    def get_state(self) -> list[dict[str, Any]]:
        """Each table's :meth:`KeyTable.get_state`."""
        return [t.get_state() for t in self.tables]

    @classmethod
    def from_state(cls, states: Sequence[dict[str, Any]]) -> KeyTables:
        """Rebuild tables saved by :meth:`get_state`."""
        return cls([KeyTable.from_state(s) for s in states])


def fit_key_tables(
    frame: pd.DataFrame, y: np.ndarray, categorical: Sequence[Hashable] = ()
) -> KeyTables:
    """The tables of every key that :func:`find_keys` finds in the training rows ``frame``
    of classes ``y``."""
    keys = find_keys(frame, categorical, y)
    return KeyTables([KeyTable.fit(frame, y, *found) for found in keys])


def _objects(series: pd.Series) -> np.ndarray:
    """A column's values as Python objects (numbers as numbers, missing as NaN or None)."""
    return series.astype(object).to_numpy()


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _set(series: pd.Series, rows: np.ndarray, values: np.ndarray) -> pd.Series:
    """``series`` with ``values`` at positions ``rows``, in the series' own dtype."""
    merged = series.astype(object).to_numpy(copy=True)
    merged[rows] = values
    return pd.Series(merged, index=series.index, name=series.name).astype(series.dtype)
