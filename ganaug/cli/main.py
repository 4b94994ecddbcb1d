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
    from .demo import run_image_demo, run_tabular_demo

    run_tabular_demo(seeds=range(args.seeds), verbose=args.verbose, plot_dir=args.out)
    if not args.no_images:
        print()
        run_image_demo(out=args.out, verbose=args.verbose)
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
            "Breast-cancer data with the malignant class cut to 15% of the training "
            "split: balanced accuracy and macro-F1 of a logistic regression trained "
            "without resampling, with SMOTE and with GANAugmenter. Then scikit-learn's "
            "8x8 digits with classes 0-4 cut to 10%: balanced accuracy with no "
            "resampling, RandomOverSampler, SMOTE and GANAugmenter, the label fidelity "
            "of the synthetic digits, and a PNG grid of real beside synthetic digits."
        ),
    )
    demo.add_argument("--seeds", type=int, default=3, help="train/test splits to average (3)")
    demo.add_argument("-v", "--verbose", action="count", default=0, help="show progress bars")
    demo.add_argument(
        "--out",
        metavar="DIR",
        default="ganaug-demo",
        help="where to save the loss curve and digit grid PNGs (ganaug-demo)",
    )
    demo.add_argument("--no-images", action="store_true", help="skip the digits demo")
    demo.set_defaults(handler=_demo)
    # balance, fit and sample live in their own module: file I/O and atomic writes
    from .commands import add_commands

    add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ganaug`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
