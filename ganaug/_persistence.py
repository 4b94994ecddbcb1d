"""Save and load a fitted GANAugmenter without pickle.

A model file is one safetensors file: the tensors (network weights, moment
matching) are its payload, and everything else -- parameters, fitted
attributes, the model's settings and encoder, the history -- is a JSON document
in its header metadata. Loading parses JSON and copies raw tensor bytes; no code
stored in the file can run, unlike ``pickle`` or ``torch.load`` without
``weights_only``.

JSON cannot tell a tuple from a list or an ``np.int64`` from an ``int``, and
labels keep their exact type in ganaug, so values that plain JSON would change
are written as small tagged objects (``{"__tuple__": [...]}``). Decoding builds
only numpy scalars, arrays and dtypes, tuples, dicts, torch devices and
dataclasses defined in ganaug itself.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from ._runtime import resolve_device
from ._version import __version__

__all__ = ["FORMAT_VERSION", "load_augmenter", "save_augmenter"]

# Bump when a file written now could be misread by an older reader.
FORMAT_VERSION = 1
_MAGIC = "ganaug-model"
_METADATA_KEY = "ganaug"
# Constructor parameters that cannot be stored; they come back as None.
_UNSTORED_PARAMS = ("callbacks",)
# The module of the label filter's class (its state is stored as numbers, not as a class).
_GATE_MODULE = "ganaug.sampling.gate"
# Tensors of the realism filter carry this prefix in the file, beside the model's.
_REALISM_PREFIX = "realism."


# -- tagged JSON ---------------------------------------------------------------------------


def encode(value: Any) -> Any:
    """``value`` as JSON-able data that :func:`decode` turns back into an equal value."""
    if isinstance(value, np.generic):  # before str and float: np.str_, np.float64 subclass them
        return {"__npscalar__": value.dtype.str, "value": value.item()}
    if value is None or isinstance(value, bool | int | str | float):
        return value  # Python's json writes and reads NaN and inf
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufUSO":
            raise TypeError(f"cannot store an array of dtype {value.dtype}")
        return {
            "__ndarray__": [encode(v) for v in value.ravel().tolist()],
            "dtype": value.dtype.str,
            "shape": list(value.shape),
        }
    if isinstance(value, np.dtype):
        return {"__dtype__": value.str}
    if isinstance(value, pd.api.extensions.ExtensionDtype):
        if isinstance(value, pd.CategoricalDtype):
            raise TypeError("cannot store a CategoricalDtype as a dtype of labels or arrays")
        return {"__pandas_dtype__": str(value)}
    if isinstance(value, torch.device):
        return {"__device__": str(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: encode(v) for k, v in value.items()}
        return {"__items__": [[encode(k), encode(v)] for k, v in value.items()]}
    if type(value).__name__ == "LabelGate" and type(value).__module__ == _GATE_MODULE:
        return {"__label_gate__": encode(value.get_state())}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        name = _dataclass_names().get(cls)
        if name is None:
            raise TypeError(f"cannot store an instance of {cls.__module__}.{cls.__qualname__}")
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__dataclass__": name, "fields": fields}
    raise TypeError(f"cannot store a value of type {type(value).__qualname__}: {value!r:.80}")


def decode(data: Any) -> Any:
    """The value that :func:`encode` wrote; builds no objects outside a short list."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "__npscalar__" in data:
        return np.array(data["value"], dtype=_dtype(data["__npscalar__"]))[()]
    if "__ndarray__" in data:
        dtype = _dtype(data["dtype"])
        items = [decode(v) for v in data["__ndarray__"]]
        if dtype.kind == "O":
            flat = np.empty(len(items), dtype=object)
            flat[:] = items
        else:
            flat = np.array(items, dtype=dtype)
        return flat.reshape(data["shape"])
    if "__dtype__" in data:
        return _dtype(data["__dtype__"])
    if "__pandas_dtype__" in data:
        return pd.api.types.pandas_dtype(data["__pandas_dtype__"])
    if "__device__" in data:
        return torch.device(data["__device__"])
    if "__tuple__" in data:
        return tuple(decode(v) for v in data["__tuple__"])
    if "__items__" in data:
        return {_hashable(decode(k)): decode(v) for k, v in data["__items__"]}
    if "__label_gate__" in data:
        from .sampling.gate import LabelGate

        return LabelGate.from_state(decode(data["__label_gate__"]))
    if "__dataclass__" in data:
        return _dataclass(data["__dataclass__"], {k: decode(v) for k, v in data["fields"].items()})
    return {k: decode(v) for k, v in data.items()}


def _dtype(text: str) -> np.dtype:
    dtype = np.dtype(text)
    if dtype.kind not in "biufUSO":
        raise ValueError(f"unexpected dtype {text!r}")
    return dtype


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


@functools.cache
def _allowed_dataclasses() -> dict[str, type]:
    """The only classes a file may name: ganaug's own plain-value dataclasses.

    A fixed table, not an import by name: importing an arbitrary module a file
    names would run that module's code (``ganaug.__main__`` runs the CLI). The
    names are where the classes lived when format 1 was written: they are part
    of the file format and stay when a class moves.
    """
    from .encoders.image import ImageInput
    from .encoders.tabular import ColumnInfo, Span
    from .inputs.table import TableInput
    from .models.image import ImageSettings
    from .models.tabular import TabularSettings
    from .sampling import rule_kinds
    from .training.trainer import TrainingConfig

    names: dict[str, type] = {
        "ganaug._validation:TableInput": TableInput,
        "ganaug.encoders.tabular:ColumnInfo": ColumnInfo,
        "ganaug.encoders.tabular:Span": Span,
        "ganaug.models.tabular:TabularSettings": TabularSettings,
        "ganaug.training:TrainingConfig": TrainingConfig,
        "ganaug.encoders.image:ImageInput": ImageInput,
        "ganaug.models.image:ImageSettings": ImageSettings,
    }
    for rule in ("Implication", "Multiple", "Offset", "Order", "RangeImplication", "Sum"):
        names[f"ganaug.sampling.rule_kinds:{rule}"] = getattr(rule_kinds, rule)
    return names


@functools.cache
def _dataclass_names() -> dict[type, str]:
    """The file's name of each class :func:`_allowed_dataclasses` allows."""
    return {cls: name for name, cls in _allowed_dataclasses().items()}


def _dataclass(path: str, fields: dict[str, Any]) -> Any:
    cls = _allowed_dataclasses().get(path)
    if cls is None:
        raise ValueError(f"the file names a class that ganaug does not store: {path!r}")
    return cls(**fields)


# -- the file ------------------------------------------------------------------------------


def _model_classes() -> dict[str, Any]:
    from .models.image import ImageGAN
    from .models.tabular import TabularGAN

    return {"tabular": TabularGAN, "image": ImageGAN}


def save_augmenter(augmenter: Any, path: str | os.PathLike) -> Path:
    """Write a fitted GANAugmenter to ``path`` (one safetensors file); see ``GANAugmenter.save``."""
    from safetensors.torch import save_file

    params = augmenter.get_params(deep=False)
    unstored = [k for k in _UNSTORED_PARAMS if params.get(k) is not None]
    for name in unstored:
        params[name] = None
    if unstored:
        warnings.warn(
            f"{', '.join(unstored)} cannot be saved and will be None after loading.",
            UserWarning,
            stacklevel=3,
        )
    rs = params.get("random_state")
    if rs is not None and not isinstance(rs, int | np.integer):
        params["random_state"] = None  # a RandomState's draws were already used by fit
    if callable(params.get("sampling_strategy")):
        raise TypeError(
            "sampling_strategy is a callable, which a model file cannot hold; set it to "
            "the dict it returns (set_params(sampling_strategy=...)) before saving."
        )
    # in the estimator's order, not the order fit happened to set them: the header's
    # bytes do not change when fit's code moves
    state = vars(augmenter)
    attributes = {k: state[k] for k in augmenter._persisted_attributes if k in state}
    config, tensors = augmenter.model_.get_state()
    realism_config = None
    if getattr(augmenter, "_realism", None) is not None:
        realism_config, realism_tensors = augmenter._realism.get_state()
        tensors = {**tensors, **{_REALISM_PREFIX + k: v for k, v in realism_tensors.items()}}
    try:
        document = {
            "magic": _MAGIC,
            "format_version": FORMAT_VERSION,
            "ganaug_version": __version__,
            "torch_version": torch.__version__,
            "class": type(augmenter).__name__,
            "model_type": augmenter.model_type_,
            "params": encode(params),
            "attributes": encode(attributes),
            "model": encode(config),
            "realism": encode(realism_config),
        }
        header = json.dumps(document, allow_nan=True)
    except TypeError as exc:
        raise TypeError(f"This GANAugmenter cannot be saved: {exc}.") from exc
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    path = Path(path)
    # write beside the target, then rename: a crash never leaves half a model file
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata={_METADATA_KEY: header})
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _not_a_model(path: Path, why: str) -> ValueError:
    return ValueError(
        f"{str(path)!r} is not a ganaug model file ({why}). Model files are written by "
        "GANAugmenter.save; pickles and other formats are refused because loading them "
        "could run code."
    )


def read_document(path: str | os.PathLike) -> tuple[dict[str, Any], Path]:
    """The checked JSON header of a model file."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No model file at {str(path)!r}.")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            metadata = handle.metadata() or {}
    except Exception as exc:  # safetensors raises its own error types on bad bytes
        raise _not_a_model(path, f"unreadable header: {exc}") from None
    text = metadata.get(_METADATA_KEY)
    if text is None:
        raise _not_a_model(path, "a safetensors file without ganaug metadata")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _not_a_model(path, f"corrupted metadata: {exc}") from None
    if not isinstance(document, dict) or document.get("magic") != _MAGIC:
        raise _not_a_model(path, "no ganaug signature")
    version = document.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise ValueError(
            f"{str(path)!r} was written by ganaug {document.get('ganaug_version', '?')} in "
            f"model-file format {version!r}; this ganaug ({__version__}) reads formats 1 to "
            f"{FORMAT_VERSION}. Upgrade ganaug (pip install -U ganaug), or save the model "
            "again with this version."
        )
    return document, path


def load_augmenter(cls: type, path: str | os.PathLike, device: Any = None) -> Any:
    """Rebuild a GANAugmenter from a file written by :func:`save_augmenter`."""
    from safetensors.torch import load_file

    document, path = read_document(path)
    models = _model_classes()
    model_type = document.get("model_type")
    if model_type not in models:
        raise ValueError(
            f"{str(path)!r} holds a {model_type!r} model, which this ganaug ({__version__}) "
            f"cannot load; it knows {sorted(models)}."
        )
    try:
        params = decode(document["params"])
        attributes = decode(document["attributes"])
        config = decode(document["model"])
        realism_config = decode(document.get("realism"))
        tensors = load_file(str(path), device="cpu")
    except Exception as exc:
        raise _not_a_model(path, f"damaged content: {exc}") from None
    fitted_on = attributes.get("device_", torch.device("cpu"))
    if device is None:
        target = fitted_on
        if fitted_on.type == "cuda" and not torch.cuda.is_available():
            warnings.warn(
                f"The model was fitted on {fitted_on}, which is not available here; it is "
                "loaded on the CPU (samples for a given random_state differ from the GPU's).",
                UserWarning,
                stacklevel=3,
            )
            target = torch.device("cpu")
        elif fitted_on.type == "mps" and not (
            getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()
        ):
            target = torch.device("cpu")
    else:
        target = resolve_device(device)
    known = cls().get_params(deep=False)
    augmenter = cls(**{k: v for k, v in params.items() if k in known})
    try:
        # the tensors stay on the CPU: load_state_dict copies weights onto the model's
        # device, and the numpy parts (moment matching, mean shift) need CPU tensors
        realism_tensors = {
            k.removeprefix(_REALISM_PREFIX): tensors.pop(k)
            for k in list(tensors)
            if k.startswith(_REALISM_PREFIX)
        }
        model = models[model_type].from_state(config, tensors, target)
        realism = None
        if realism_config is not None:
            from .sampling.realism import RealismFilter

            realism = RealismFilter.from_state(realism_config, realism_tensors, target)
    except (KeyError, TypeError, RuntimeError) as exc:
        raise _not_a_model(path, f"damaged model state: {exc}") from None
    for name, value in attributes.items():
        setattr(augmenter, name, value)
    augmenter.model_ = model
    augmenter._realism = realism
    augmenter.device_ = target
    if hasattr(model, "history"):
        augmenter.history_ = model.history
    return augmenter
