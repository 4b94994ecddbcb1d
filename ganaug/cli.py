"""The ``ganaug`` command.

``ganaug demo`` balances bundled scikit-learn data and compares GANAugmenter
with no resampling and SMOTE.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_tabular_demo

    run_tabular_demo(seeds=range(args.seeds), verbose=args.verbose)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ganaug",
        description="Balance labeled datasets with samples from a conditional GAN.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    demo = commands.add_parser(
        "demo",
        help="balance bundled scikit-learn data and compare with SMOTE",
        description=(
            "Breast-cancer data with the malignant class cut to 15%% of the training "
            "split: balanced accuracy and macro-F1 of a logistic regression trained "
            "without resampling, with SMOTE and with GANAugmenter."
        ),
    )
    demo.add_argument("--seeds", type=int, default=3, help="train/test splits to average (3)")
    demo.add_argument("-v", "--verbose", action="count", default=0, help="show progress bars")
    demo.set_defaults(handler=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ganaug`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
