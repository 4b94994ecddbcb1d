"""Class labels and category values as plain Python scalars."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["plain"]


def plain(value: Any) -> Any:
    """``np.int64(3)`` -> ``3``: dict keys that compare, hash and print as the user's
    own labels (``{3: ...}``, not ``{np.int64(3): ...}``) and that JSON can store."""
    return value.item() if isinstance(value, np.generic) else value
