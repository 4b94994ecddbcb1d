"""Settings dataclasses as JSON-able dicts and back, for model files.

A model's settings (``TabularSettings``, ``RealismSettings``) are stored in the
JSON header of a model file (:mod:`ganaug._persistence`). Their ``hidden_units``
is a tuple, which the file's JSON would tag as one; it is written as a plain
list and read back as a tuple.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, TypeVar

__all__ = ["settings_config", "settings_from_config"]

_Settings = TypeVar("_Settings")


def settings_config(settings: Any) -> dict[str, Any]:
    """The fields of a settings dataclass, ``hidden_units`` as a list."""
    return {**asdict(settings), "hidden_units": list(settings.hidden_units)}


def settings_from_config(cls: type[_Settings], config: dict[str, Any]) -> _Settings:
    """The settings that :func:`settings_config` wrote, ``hidden_units`` a tuple again."""
    settings = cls(**config)
    settings.hidden_units = tuple(settings.hidden_units)  # type: ignore[attr-defined]
    return settings
