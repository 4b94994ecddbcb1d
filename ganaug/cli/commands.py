"""The ``balance``, ``fit`` and ``sample`` commands of the ``ganaug`` command line.

Tables come from CSV or Parquet files; images from a folder with one subfolder
per class (reading and writing them is :mod:`ganaug.cli.files`). Bad input ends
the command with exit code 2 and a one-line message.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._scalars import plain
from .files import (
    InputError,
    check_output_folder,
    first_line,
    read_input,
    write_image_folder,
    write_table,
)

__all__ = ["InputError", "add_commands", "run_command"]

_STRATEGY_WORDS = {"auto", "minority", "not majority", "not minority", "all"}


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


def cmd_balance(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if Path(args.input).is_dir():
        check_output_folder(out, args.force)  # before training, not after
    kind, X, y, extra = read_input(Path(args.input), args.target)
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
    kind, X, y, _ = read_input(Path(args.input), args.target)
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
        print(f"ganaug {args.command}: error: {first_line(exc)}", file=sys.stderr)
        return 2
