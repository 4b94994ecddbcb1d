"""What the estimator's ``n_jobs`` means: torch threads for a fit or a draw.

``None`` trains with one thread and samples with up to two once a request is
large; an int is that many threads; ``"auto"`` adds a
:class:`ganaug.training.threads.ThreadTuner` to the fit's callbacks, which
times a few steps on each candidate count and trains on with the fastest.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from numbers import Integral

from .threads import ThreadTuner
from .trainer import Callback

__all__ = ["fit_callbacks", "n_threads"]

# Sampling requests of at least this many rows use two threads when n_jobs=None.
PARALLEL_SAMPLING_ROWS = 50_000


def fit_callbacks(callbacks: Sequence[Callback] | None, n_jobs: int | str | None) -> list:
    """The caller's callbacks, and with ``n_jobs="auto"`` the thread tuner."""
    out = list(callbacks or ())
    if isinstance(n_jobs, str):  # "auto", the one string the constraints allow
        # a fresh tuner per fit: it measures this data on this machine as it is now
        out.append(ThreadTuner())
    return out


def n_threads(n_jobs: int | str | None, n_rows: int = 0) -> int:
    """Torch threads for a fit (``n_rows=0``) or for drawing ``n_rows`` samples.

    With ``n_jobs="auto"`` a fit starts on one thread and its ThreadTuner
    moves on from there; sampling follows the rule of ``n_jobs=None``.
    """
    if isinstance(n_jobs, Integral):
        return int(n_jobs)
    # one thread for training: a trial on 8 tables found it ~10x faster than two for the
    # small MLPs, and with busy cores two threads measured 2-10x slower per fit
    # here; large sampling requests are big tensor operations that do split well
    if n_rows >= PARALLEL_SAMPLING_ROWS:
        return min(2, os.cpu_count() or 1)
    return 1
