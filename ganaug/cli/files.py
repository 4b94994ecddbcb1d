"""The files of the ``ganaug`` command: CSV or Parquet tables and image folders.

An image folder holds one subfolder per class. Every output -- a table, an image
folder -- is written to a temporary name beside its target and renamed once
complete, so a failure never leaves a half-written output behind. A problem with
what the user gave raises :class:`InputError`, which the commands turn into exit
code 2 and a one-line message.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..encoders.image import to_hwc

__all__ = [
    "IMAGE_SUFFIXES",
    "PARQUET_SUFFIXES",
    "InputError",
    "check_output_folder",
    "first_line",
    "image_to_pil",
    "read_image_folder",
    "read_input",
    "read_table",
    "split_target",
    "write_image_folder",
    "write_table",
]

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
PARQUET_SUFFIXES = {".parquet", ".pq"}


class InputError(ValueError):
    """A problem with what the user gave the command: exit code 2, one line."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type name when it has none)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _progress(items: list, desc: str) -> Any:
    from tqdm.auto import tqdm

    # only for sizeable folders, and only on a terminal: logs stay readable
    return tqdm(items, desc=desc, disable=len(items) < 200 or not sys.stderr.isatty())


# -- reading -----------------------------------------------------------------------


def read_input(source: Path, target: str | None) -> tuple[str, Any, Any, Any]:
    """``(kind, X, y, extra)``: a table with its frame, or an image folder with its paths."""
    if source.is_dir():
        X, y, paths = read_image_folder(source)
        return "image", X, y, paths
    frame = read_table(source)
    X, y = split_target(frame, target, source)
    return "table", X, y, frame


def read_table(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file as a DataFrame."""
    if not path.is_file():
        raise InputError(f"no such file: {path}")
    if path.stat().st_size == 0:
        raise InputError(f"{path} is empty")
    if path.suffix.lower() in PARQUET_SUFFIXES:
        try:
            return pd.read_parquet(path)
        except ImportError:
            raise InputError("reading Parquet needs pyarrow: pip install pyarrow") from None
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} is not a readable CSV file: {first_line(exc)}") from None
    if len(frame) == 0:
        raise InputError(f"{path} has a header but no rows")
    return frame


def split_target(frame: pd.DataFrame, target: str | None, path: Path) -> tuple[pd.DataFrame, Any]:
    """The table without its label column ``target``, and that column."""
    if target is None:
        raise InputError(f"--target is required for a table: the column of {path} holding labels")
    if target not in frame.columns:
        shown = ", ".join(map(str, frame.columns[:10]))
        raise InputError(f"target column {target!r} is not in {path} (columns: {shown})")
    y = frame[target]
    if y.isna().any():
        raise InputError(f"target column {target!r} has {int(y.isna().sum())} missing labels")
    return frame.drop(columns=[target]), y


def read_image_folder(root: Path) -> tuple[np.ndarray, np.ndarray, list[Path]]:
    """Images of ``root/<class>/*`` as one (N, H, W[, C]) uint8 array, labels and paths."""
    from PIL import Image, UnidentifiedImageError

    class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not class_dirs:
        raise InputError(f"{root} has no class subfolders; expected {root}/<class>/<image files>")
    paths: list[Path] = []
    labels: list[str] = []
    for class_dir in class_dirs:
        files = sorted(
            p
            for p in class_dir.iterdir()
            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
        )
        paths += files
        labels += [class_dir.name] * len(files)
    if not paths:
        raise InputError(f"{root} holds no image files ({', '.join(sorted(IMAGE_SUFFIXES))})")
    images = []
    for path in _progress(paths, "reading images"):
        try:
            with Image.open(path) as img:
                img.load()
                images.append(img.copy())
        except (UnidentifiedImageError, OSError) as exc:
            raise InputError(f"cannot read image {path}: {first_line(exc)}") from None
    gray = all(img.mode in ("L", "1", "I;16", "I") for img in images)
    arrays = [np.asarray(img.convert("L" if gray else "RGB")) for img in images]
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise InputError(
            f"images in {root} have different sizes {sorted(shapes)[:3]}; resize them to one size"
        )
    return np.stack(arrays), np.asarray(labels, dtype=object), paths


# -- writing (always to a temporary name, then renamed) --------------------------------


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV, or as Parquet by the ``.parquet``/``.pq`` suffix."""
    parquet = path.suffix.lower() in PARQUET_SUFFIXES
    if parquet:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise InputError("writing Parquet needs pyarrow: pip install pyarrow") from None
    _check_parent(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        if parquet:
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _check_parent(path: Path) -> None:
    if not path.parent.is_dir():
        raise InputError(f"the folder of {path} does not exist")


def check_output_folder(out: Path, force: bool) -> None:
    """Refuse to replace a non-empty ``out`` unless ``force``."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not force:
        raise InputError(f"{out} already exists and is not empty; pass --force to replace it")


def image_to_pil(image: np.ndarray) -> Any:
    """One image (any layout; uint8, or float in [0, 1]) as a PIL image."""
    from PIL import Image

    arr = to_hwc(image)
    if arr.dtype != np.uint8:
        arr = np.clip(np.rint(arr * 255.0), 0, 255).astype(np.uint8)
    return Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr)


def write_image_folder(
    out: Path,
    synthetic: np.ndarray,
    synthetic_labels: np.ndarray,
    originals: list[tuple[Path, str]] = (),
    force: bool = False,
) -> None:
    """Write ``out/<class>/...``: copies of the originals, then synthetic PNGs."""
    check_output_folder(out, force)
    _check_parent(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        for src, label in originals:
            (tmp / label).mkdir(exist_ok=True)
            shutil.copy2(src, tmp / label / src.name)
        for i, (image, label) in enumerate(
            _progress(list(zip(synthetic, synthetic_labels)), "writing images")
        ):
            folder = tmp / _folder_name(label)
            folder.mkdir(exist_ok=True)
            image_to_pil(image).save(folder / f"ganaug_synthetic_{i:06d}.png")
        if out.exists():
            aside = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            os.replace(out, aside / out.name)
            os.replace(tmp, out)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _folder_name(label: Any) -> str:
    name = str(label)
    if not name or name in (".", "..") or "/" in name or os.sep in name:
        raise InputError(f"class label {label!r} cannot be a folder name")
    return name
