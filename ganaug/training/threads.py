"""How many CPU threads torch trains with: ``n_jobs="auto"`` measures, then chooses.

Whether a second thread pays depends on the networks and on what else the
machine runs: for the small networks of the tabular model and of 8x8 images one
thread is the fastest, and on a busy 2-core machine two threads ran 2-10 times
slower; on idle cores, convolutions at 32x32 and up can split well. Rather than
guess, :class:`ThreadTuner` times a few training steps on each candidate
count and keeps the fastest for the rest of the fit. The steps it times are
ordinary training steps (none is wasted), but the choice depends on timing, and
torch's results differ in the last bits between thread counts: only an integer
``n_jobs`` makes CPU fits bit-for-bit repeatable.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

import torch

from .trainer import Callback, GANTrainer

__all__ = ["ThreadTuner", "thread_candidates"]

# A candidate with more threads must be this much faster per step to be chosen:
# below that the difference is noise and the extra threads only take cores away.
_MIN_GAIN = 0.9


def thread_candidates(cpu_count: int | None = None) -> tuple[int, ...]:
    """Thread counts worth timing: 1, 2 and 4, up to the machine's cores."""
    cores = cpu_count if cpu_count is not None else (os.cpu_count() or 1)
    return tuple(n for n in (1, 2, 4) if n <= max(cores, 1))


class ThreadTuner(Callback):
    """Time training steps on each candidate thread count; keep the fastest.

    Parameters
    ----------
    candidates : sequence of int, optional
        Thread counts to try, in order (default :func:`thread_candidates`).
    warmup : int
        Steps run on a count before timing it (the first steps on new thread
        pools and shapes are slow).
    timed : int
        Steps timed on each count.

    Attributes
    ----------
    chosen : int or None
        The thread count kept; None until every candidate was timed (or, for a
        run too short to time them all, the fastest of those that were).
    seconds_per_step : dict
        Measured seconds per step by thread count.
    """

    def __init__(
        self, candidates: Sequence[int] | None = None, warmup: int = 2, timed: int = 4
    ) -> None:
        self.candidates = tuple(candidates) if candidates is not None else thread_candidates()
        self.warmup = warmup
        self.timed = timed
        self.chosen: int | None = None
        self.seconds_per_step: dict[int, float] = {}

    def on_train_begin(self, trainer: GANTrainer) -> None:
        """Start timing on the first candidate (or keep an earlier choice)."""
        self._step = 0
        self._elapsed = 0.0
        if self.chosen is None and len(self.candidates) == 1:
            self.chosen = self.candidates[0]
        torch.set_num_threads(self.chosen or self.candidates[0])
        self._last = time.perf_counter()

    def on_step_end(self, trainer: GANTrainer, metrics: dict[str, float]) -> None:
        """Add the step's time to its candidate; move on to the next when done."""
        now = time.perf_counter()
        elapsed, self._last = now - self._last, now
        if self.chosen is not None:
            return
        per = self.warmup + self.timed
        index, within = divmod(self._step, per)
        self._step += 1
        if within >= self.warmup:
            self._elapsed += elapsed
        if within == per - 1:
            self.seconds_per_step[self.candidates[index]] = self._elapsed / self.timed
            self._elapsed = 0.0
            if index + 1 < len(self.candidates):
                torch.set_num_threads(self.candidates[index + 1])
            else:
                self._choose()
        # the next step's clock starts after this hook's own work
        self._last = time.perf_counter()

    def on_train_end(self, trainer: GANTrainer) -> None:
        """A run too short to time every candidate keeps the fastest timed one."""
        if self.chosen is None and self.seconds_per_step:
            self._choose()

    def _choose(self) -> None:
        best = min(self.seconds_per_step.values())
        # the fewest threads within _MIN_GAIN of the fastest
        self.chosen = min(n for n, s in self.seconds_per_step.items() if s * _MIN_GAIN <= best)
        torch.set_num_threads(self.chosen)
