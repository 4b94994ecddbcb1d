"""Give synthetic rows the values that their key fixes, as the training rows have them.

A generator models a professor's ID, her age and her beauty score as three
columns and combines them freely: rows of professor 17 come out at ages she
never had, where every real row of hers shows one age. :class:`KeyTables`
keeps, for each key that :func:`ganaug.sampling.key_discovery.find_keys`
finds, the values that each of the key's training values fixes, and sets them
in every synthetic row whose key has one of those values. A row whose key no
training row has (a whole number never seen) stands for a new entity and keeps
what was generated; so does a row whose key is missing.

The key itself stays as generated. A key may also fix the class (each
professor teaches as one gender), and the generator may still give a row of one
class the key of another. Such a row keeps what was generated: given the other
professor's values it taught a classifier the wrong class (on the
course-evaluation table of ``benchmarks/real_tables.py``, whose class is the
professor's gender, balanced accuracy fell from 0.681 to 0.650 over 5 seeds).
Choosing instead the class's own key nearest to the generated values was tried
and not adopted: it concentrated the thinned class's rows on the 17 professors
its 20 training rows show (7 rows each, where the held-out rows spread over 39
professors), and the detection AUC stayed at 0.796 against 0.799 without keys
(5 seeds, 4 draws each).

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
        The class of each key value, when the key fixes the class: a row of
        another class keeps its values. None: the key does not fix it.
    """

    def __init__(
        self,
        key: Hashable,
        columns: Sequence[Hashable],
        keys: np.ndarray,
        values: np.ndarray,
        classes: np.ndarray | None = None,
    ) -> None:
        self.key = key
        self.columns = list(columns)
        self.keys = np.asarray(keys, dtype=object)
        self.values = np.asarray(values, dtype=object).reshape(len(self.keys), len(self.columns))
        self.classes = None if classes is None else np.asarray(classes, dtype=np.int64)
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
        rows = present[np.sort(np.unique(codes, return_index=True)[1])]  # one row per value
        values = np.column_stack([_objects(frame[c])[rows] for c in columns])
        classes = np.asarray(y)[rows] if fixes_class else None
        return cls(key, columns, keys[rows], values, classes)

    def apply(self, frame: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
        """``frame`` (rows of classes ``y``) with the fixed values set where the key is known."""
        entry = np.array(
            [-1 if _missing(v) else self._lookup.get(v, -1) for v in _objects(frame[self.key])],
            dtype=np.int64,
        )
        if self.classes is not None:  # another class's key: its values would teach that class
            entry[(entry >= 0) & (self.classes[entry] != np.asarray(y))] = -1
        rows = np.flatnonzero(entry >= 0)
        if len(rows) == 0:
            return frame
        out = frame.copy()
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
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> KeyTable:
        """Rebuild a table saved by :meth:`get_state`."""
        fields = ("key", "columns", "keys", "values", "classes")
        return cls(*(state[f] for f in fields))


class KeyTables:
    """Every key's table, applied in turn (a column belongs to one key at most)."""

    def __init__(self, tables: Sequence[KeyTable]) -> None:
        self.tables = list(tables)

    def __len__(self) -> int:
        return len(self.tables)

    def apply(self, frame: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
        """``frame`` (rows of classes ``y``) with every key's fixed values set; the frame
        passed in is not changed."""
        for table in self.tables:
            frame = table.apply(frame, y)
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
