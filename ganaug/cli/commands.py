"""The ``balance``, ``fit`` and ``sample`` commands of the ``ganaug`` command line.

Tables come from CSV or Parquet files; images from a folder with one subfolder
per class. Every output -- a table, an image folder, a model file -- is written
to a temporary name beside its target and renamed once complete, so a failure
never leaves a half-written output behind. Bad input ends the command with exit
code 2 and a one-line message.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._scalars import plain

__all__ = ["InputError", "add_commands", "run_command"]

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
_STRATEGY_WORDS = {"auto", "minority", "not majority", "not minority", "all"}


class InputError(ValueError):
    """A problem with what the user gave the command: exit code 2, one line."""


# -- reading -----------------------------------------------------------------------


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
        raise InputError(f"{path} is not a readable CSV file: {_first_line(exc)}") from None
    if len(frame) == 0:
        raise InputError(f"{path} has a header but no rows")
    return frame


def split_target(frame: pd.DataFrame, target: str | None, path: Path) -> tuple[pd.DataFrame, Any]:
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
            raise InputError(f"cannot read image {path}: {_first_line(exc)}") from None
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


def image_to_pil(image: np.ndarray) -> Any:
    from PIL import Image

    from ..torch_data import _as_hwc

    arr = _as_hwc(image)
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
    _check_output_folder(out, force)
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


# -- commands ------------------------------------------------------------------------


def _augmenter(args: argparse.Namespace, model: str) -> Any:
    from .._augmenter import GANAugmenter

    kwargs: dict[str, Any] = {
        "random_state": args.seed,
        "verbose": 0 if args.quiet else 1,
        "model": model,
    }
    if getattr(args, "max_steps", None) is not None:
        kwargs["max_steps"] = args.max_steps
    return GANAugmenter(**kwargs)


def parse_strategy(text: str, labels: Any) -> Any:
    """``--strategy``: a word, a float, JSON ``{"label": n}`` or ``label=n,label=n``."""
    if text in _STRATEGY_WORDS:
        return text
    try:
        return float(text)
    except ValueError:
        pass
    by_name = {str(c): c for c in pd.unique(np.asarray(labels, dtype=object))}
    try:
        pairs = (
            json.loads(text)
            if text.lstrip().startswith("{")
            else dict(part.split("=", 1) for part in text.split(","))
        )
        strategy = {by_name[str(k).strip()]: int(v) for k, v in pairs.items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InputError(
            f"--strategy {text!r} is not one of {sorted(_STRATEGY_WORDS)}, a float, or "
            f"class=count pairs over the classes {sorted(by_name)}"
        ) from None
    return strategy


def _read_input(args: argparse.Namespace) -> tuple[str, Any, Any, Any]:
    """(kind, X, y, extra): a table with its frame, or an image folder with its paths."""
    source = Path(args.input)
    if source.is_dir():
        X, y, paths = read_image_folder(source)
        return "image", X, y, paths
    frame = read_table(source)
    X, y = split_target(frame, args.target, source)
    return "table", X, y, frame


def _check_output_folder(out: Path, force: bool) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not force:
        raise InputError(f"{out} already exists and is not empty; pass --force to replace it")


def cmd_balance(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if Path(args.input).is_dir():
        _check_output_folder(out, args.force)  # before training, not after
    kind, X, y, extra = _read_input(args)
    if kind == "table" and out.is_dir():
        raise InputError(f"{out} is a folder; a table is written to a file such as {out}/out.csv")
    aug = _augmenter(args, "image" if kind == "image" else "auto")
    aug.set_params(sampling_strategy=parse_strategy(args.strategy, y))
    if kind == "table":
        X_res, y_res = aug.fit_resample(X, y)
        frame = extra
        table = X_res.reset_index(drop=True)
        table.insert(list(frame.columns).index(args.target), args.target, np.asarray(y_res))
        write_table(table, out)
        n_new = len(table) - len(frame)
    else:
        counts = {c: n for c, n in aug.fit(X, y).sampling_strategy_.items() if n > 0}
        X_new, y_new = aug.sample(counts) if counts else (X[:0], y[:0])
        write_image_folder(out, X_new, y_new, list(zip(extra, y)), force=args.force)
        n_new = len(y_new)
    if args.save_model:
        aug.save(args.save_model)
    _report(f"added {n_new} synthetic samples; wrote {out}", args)
    return 0


def cmd_fit(args: argparse.Namespace) -> int:
    kind, X, y, _ = _read_input(args)
    aug = _augmenter(args, "image" if kind == "image" else "auto")
    aug.set_params(sampling_strategy=parse_strategy(args.strategy, y))
    aug.fit(X, y)
    aug.save(args.model_out)
    _report(f"trained {aug.n_steps_} steps in {aug.fit_time_:.1f} s; wrote {args.model_out}", args)
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from .._augmenter import GANAugmenter

    aug = GANAugmenter.load(args.model)
    if args.n_samples < 1:
        raise InputError(f"-n must be at least 1, got {args.n_samples}")
    label = None
    if args.label is not None:
        by_name = {str(plain(c)): c for c in aug.classes_}
        if args.label not in by_name:
            raise InputError(f"--class {args.label!r} is not one of {sorted(by_name)}")
        label = by_name[args.label]
    X_new, y_new = aug.sample(args.n_samples, y=label, random_state=args.seed)
    out = Path(args.output)
    if aug.model_type_ == "image":
        write_image_folder(out, X_new, y_new, force=args.force)
    else:
        if out.is_dir():
            raise InputError(
                f"{out} is a folder; a table is written to a file such as {out}/out.csv"
            )
        table = X_new if isinstance(X_new, pd.DataFrame) else pd.DataFrame(X_new)
        table = table.reset_index(drop=True)
        table.columns = [str(c) for c in table.columns]
        target = args.target or "label"
        if target in table.columns:
            raise InputError(
                f"column {target!r} exists already; name the label column with --target"
            )
        table[target] = np.asarray(y_new)
        write_table(table, out)
    _report(f"wrote {len(y_new)} synthetic samples to {out}", args)
    return 0


def _report(message: str, args: argparse.Namespace) -> None:
    if not args.quiet:
        print(message)


def _progress(items: list, desc: str) -> Any:
    from tqdm.auto import tqdm

    # only for sizeable folders, and only on a terminal: logs stay readable
    return tqdm(items, desc=desc, disable=len(items) < 200 or not sys.stderr.isatty())


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# -- argparse ------------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser, training: bool = True) -> None:
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    if training:
        parser.add_argument(
            "--strategy",
            default="auto",
            help="sampling_strategy: auto, minority, 'not majority', 'not minority', all, a "
            "float (binary), or class=count pairs such as 'cat=500,dog=300' (auto)",
        )
        parser.add_argument(
            "--max-steps", type=int, default=None, help="generator steps to train (automatic)"
        )


def add_commands(commands: Any) -> None:
    """Register ``balance``, ``fit`` and ``sample`` on the ``ganaug`` subparsers."""
    source_help = (
        "a CSV or Parquet table (with --target), or a folder with one subfolder of images per class"
    )
    balance = commands.add_parser(
        "balance",
        help="add synthetic samples to a table or an image folder",
        description=(
            "Train a conditional GAN and write the input plus synthetic samples that balance "
            "the classes. A table gives a table (CSV, or Parquet by its .parquet suffix); an "
            "image folder gives a folder of the same layout, originals copied and synthetic "
            "images added as PNG."
        ),
    )
    balance.add_argument("input", help=source_help)
    balance.add_argument("-o", "--output", required=True, help="output table file or folder")
    balance.add_argument("--target", help="label column of a table")
    balance.add_argument("--save-model", metavar="PATH", help="also save the trained model")
    balance.add_argument("--force", action="store_true", help="replace an existing output folder")
    _common(balance)
    balance.set_defaults(handler=_guarded(cmd_balance))

    fit = commands.add_parser(
        "fit",
        help="train on a table or an image folder and save the model",
        description="Train a conditional GAN and save it for `ganaug sample`.",
    )
    fit.add_argument("input", help=source_help)
    fit.add_argument("--target", help="label column of a table")
    fit.add_argument("--model-out", required=True, metavar="PATH", help="model file to write")
    _common(fit)
    fit.set_defaults(handler=_guarded(cmd_fit))

    sample = commands.add_parser(
        "sample",
        help="draw synthetic samples from a saved model",
        description=(
            "Draw synthetic samples from a model saved by `ganaug fit` or "
            "`ganaug balance --save-model`: a table file for a tabular model, a folder of "
            "PNGs per class for an image model."
        ),
    )
    sample.add_argument("model", help="model file")
    sample.add_argument("-n", "--n-samples", type=int, required=True, help="how many samples")
    sample.add_argument(
        "--class", dest="label", help="class of the samples (default: spread over all classes)"
    )
    sample.add_argument("-o", "--output", required=True, help="output table file or folder")
    sample.add_argument("--target", help="name of the label column in the table (label)")
    sample.add_argument("--force", action="store_true", help="replace an existing output folder")
    _common(sample, training=False)
    sample.set_defaults(handler=_guarded(cmd_sample))


def _guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        return run_command(handler, args)

    run.__name__ = handler.__name__
    return run


def run_command(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command; bad input gives exit code 2 and one line on stderr."""
    try:
        return handler(args)
    except (InputError, ValueError, TypeError, FileNotFoundError) as exc:
        print(f"ganaug {args.command}: error: {_first_line(exc)}", file=sys.stderr)
        return 2
