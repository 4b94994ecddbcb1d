"""Where and how torch runs: the device a fit asks for, its threads and private seeds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch

__all__ = ["private_seed", "resolve_device", "torch_threads", "uniform_draws"]


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` is CUDA, else Apple's MPS, else the CPU; anything else as torch reads it."""
    if isinstance(device, str) and device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a device torch knows; use 'auto', 'cpu', 'cuda' or 'mps'."
        ) from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for, but CUDA is not available here.")
    return resolved


@contextmanager
def torch_threads(n_threads: int | None) -> Iterator[None]:
    """Run a block with ``n_threads`` intra-op threads, then restore the caller's setting."""
    previous = torch.get_num_threads()
    if n_threads is not None and n_threads != previous:
        torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)


@contextmanager
def private_seed(seed: int) -> Iterator[None]:
    """Seed the CPU default generator for a block and put the caller's state back.

    ``nn.Module`` constructors draw their initial weights from the global RNG; this
    makes them reproducible without changing what the caller's code sees afterwards.
    """
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)
        yield


def uniform_draws(rng: torch.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Uniform draws in ``[0, 1)`` from a torch generator, as float64 numpy.

    The sampling corrections of tables (ties of the quantile maps, heaped
    decimals) are numpy; drawing through the caller's generator keeps a seed's
    samples the same on every device.
    """
    return torch.rand(shape, generator=rng, device=rng.device).double().cpu().numpy()
