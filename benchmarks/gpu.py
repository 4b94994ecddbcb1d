"""GPU check and timings: one script to run on a machine with a CUDA GPU.

Run from the repository root (ganaug need not be installed)::

    PYTHONPATH=. python3 benchmarks/gpu.py            # on the GPU machine, < 4 minutes
    PYTHONPATH=. python3 benchmarks/gpu.py --device cpu --quick   # a dry run anywhere

It records, each part on its own so that one failure does not lose the rest:

1. ``pytest tests/test_cuda.py tests/test_precision.py`` in a subprocess (the
   ``cuda``-marked tests run only where CUDA is present);
2. the card (``torch.cuda.get_device_name``), torch, CUDA and Python versions;
3. generator steps/s of the default image model (each step is the default
   number of critic steps plus one generator step) at 28x28 grayscale and
   64x64 RGB: on the GPU with mixed precision on and off, and on the CPU with
   one thread and with all of them; each over a fixed window after warm-up
   steps, with the GPU synchronised before the clock is read;
4. one default fit (``max_steps="auto"``) of 2,000 digits of 28x28 on the
   device, with its wall time (stopped with a note after ``--fit-limit`` s).

Results go to ``$OUT/gpu.json`` and ``$OUT/gpu.md`` when ``$OUT`` is set, else
to ``./gpu-results/``, and are rewritten after every part.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from ganaug import GANAugmenter  # noqa: E402
from ganaug.training.trainer import Callback  # noqa: E402


class _WindowDone(Exception):
    """Raised by the timing callback to end a fit once the window is measured."""


class _StepClock(Callback):
    """Times generator steps after ``warmup`` steps, for ``window`` seconds."""

    def __init__(self, device: torch.device, warmup: int, window: float) -> None:
        self.device, self.warmup, self.window = device, warmup, window
        self.start: float | None = None
        self.steps = 0
        self.elapsed = 0.0

    def _now(self) -> float:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return time.perf_counter()

    def on_step_end(self, trainer: Any, metrics: dict[str, float]) -> None:
        if trainer.steps_done == self.warmup:
            self.start = self._now()
        elif self.start is not None:
            self.steps = trainer.steps_done - self.warmup
            self.elapsed = self._now() - self.start
            if self.elapsed >= self.window:
                raise _WindowDone


class _FitLimit(Callback):
    """Stops a fit (as Ctrl-C would: the model stays usable) after ``limit`` seconds."""

    def __init__(self, limit: float) -> None:
        self.limit, self.start, self.stopped_at = limit, time.perf_counter(), None

    def on_step_end(self, trainer: Any, metrics: dict[str, float]) -> None:
        if time.perf_counter() - self.start > self.limit:
            self.stopped_at = trainer.steps_done
            raise KeyboardInterrupt


def _images(n: int, side: int, channels: int, n_classes: int = 10, seed: int = 0):
    """Class-dependent blobs: enough structure for training, made in no time."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    grid = np.linspace(-1, 1, side)
    cx = np.cos(2 * np.pi * y / n_classes)[:, None, None] * 0.5
    cy = np.sin(2 * np.pi * y / n_classes)[:, None, None] * 0.5
    blob = np.exp(-((grid[None, :, None] - cx) ** 2 + (grid[None, None, :] - cy) ** 2) * 8)
    X = blob + 0.1 * rng.normal(size=(n, side, side))
    if channels == 3:
        tint = np.stack([y % 3 == k for k in range(3)], axis=-1)[:, None, None, :]
        X = X[..., None] * (0.5 + 0.5 * tint)
    return (np.clip(X, 0, 1) * 255).astype(np.uint8), y


def _digits_28(n: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits upscaled to 28x28, shifted copies up to ``n``."""
    from sklearn.datasets import load_digits
    from torch.nn import functional as F

    digits = load_digits()
    x = torch.as_tensor(digits.images / 16.0, dtype=torch.float32)[:, None]
    x = F.interpolate(x, size=(28, 28), mode="bilinear", align_corners=False)[:, 0]
    X, y = x.numpy(), digits.target
    extra = n - len(X)
    if extra > 0:
        X = np.concatenate([X, np.roll(X[:extra], 1, axis=2)])
        y = np.concatenate([y, y[:extra]])
    return (np.clip(X, 0, 1) * 255).astype(np.uint8)[:n], y[:n]


def steps_per_second(
    device: str, side: int, channels: int, mixed: Any, threads: int, warmup: int, window: float
) -> dict[str, Any]:
    """Generator steps/s of a default-settings image model on ``device``."""
    n = 2000 if side <= 32 else 500
    X, y = _images(n, side, channels)
    dev = torch.device(device)
    clock = _StepClock(dev, warmup, window)
    aug = GANAugmenter(
        max_steps=1_000_000,
        device=device,
        mixed_precision=mixed,
        n_jobs=threads,
        random_state=0,
        callbacks=[clock],
    )
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            aug.fit(X, y)
        except _WindowDone:
            pass
    out = {
        "steps": clock.steps,
        "seconds": round(clock.elapsed, 3),
        "steps_per_s": round(clock.steps / clock.elapsed, 2) if clock.elapsed else None,
        "images": f"{n} x {side}x{side}x{channels}",
    }
    if dev.type == "cuda":
        out["peak_gpu_mib"] = round(torch.cuda.max_memory_allocated(dev) / 2**20, 1)
    return out


def run_tests(quick: bool, timeout: float) -> dict[str, Any]:
    files = ["tests/test_cuda.py"] if quick else ["tests/test_cuda.py", "tests/test_precision.py"]
    cmd = [sys.executable, "-m", "pytest", *files, "-q", "-rs", "-p", "no:cacheprovider"]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    env.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
    start = time.perf_counter()
    try:
        done = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
        rc, text = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as exc:
        partial = exc.stdout or ""
        rc = "timeout"
        text = partial.decode(errors="replace") if isinstance(partial, bytes) else partial
    lines = text.strip().splitlines()
    return {
        "command": " ".join(cmd[1:]),
        "returncode": rc,
        "seconds": round(time.perf_counter() - start, 1),
        "summary": lines[-1] if lines else "",
        "tail": "\n".join(lines[-40:]),
    }


def full_fit(device: str, n: int, max_steps: Any, limit: float) -> dict[str, Any]:
    X, y = _digits_28(n)
    stop = _FitLimit(limit)
    aug = GANAugmenter(device=device, max_steps=max_steps, random_state=0, callbacks=[stop])
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X_res, y_res = aug.fit_resample(X, y)
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()
    wall = time.perf_counter() - start
    return {
        "images": f"{len(X)} x 28x28x1 (digits upscaled)",
        "wall_s": round(wall, 1),
        "fit_time_s": round(aug.fit_time_, 1),
        "steps": int(aug.n_steps_),
        "steps_per_s": round(aug.n_steps_ / aug.fit_time_, 2),
        "mixed_precision": aug.model_.trainer.precision,
        "stopped_early_at_step": stop.stopped_at,
        "resampled": int(len(y_res)),
        "finite": bool(np.isfinite(X_res.astype(np.float64)).all()),
    }


def environment() -> dict[str, Any]:
    info: dict[str, Any] = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cuda_available": torch.cuda.is_available(),
    }
    if torch.cuda.is_available():
        info["card"] = torch.cuda.get_device_name(0)
        info["cuda"] = torch.version.cuda
        info["bf16_supported"] = torch.cuda.is_bf16_supported()
        info["gpu_memory_gib"] = round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1)
    return info


def _markdown(results: dict[str, Any]) -> str:
    env = results.get("environment", {})
    lines = [
        "# ganaug GPU check",
        "",
        f"Card: {env.get('card', 'none')}; torch {env.get('torch')}, CUDA {env.get('cuda')}, "
        f"{env.get('cpu_count')} CPU cores.",
        "",
        "| images | device | mixed precision | threads | steps/s | steps timed | peak GPU MiB |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in results.get("timings", []):
        r = row.get("result", {})
        value = r.get("steps_per_s", "error: " + str(row.get("error", ""))[:60])
        lines.append(
            f"| {row['label']} | {row['device']} | {row['mixed_precision']} | "
            f"{row['threads']} | {value} | {r.get('steps', '')} | {r.get('peak_gpu_mib', '')} |"
        )
    tests = results.get("tests", {})
    lines += ["", f"Tests: `{tests.get('command', '')}`: {tests.get('summary', tests)}"]
    fit = results.get("full_fit", {})
    lines += ["", f"Full default fit: {json.dumps(fit)}", ""]
    if results.get("errors"):
        lines += ["Errors:", ""] + [f"- {e}" for e in results["errors"]]
    return "\n".join(lines) + "\n"


def _write(results: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu.json").write_text(json.dumps(results, indent=2, default=str))
    (out / "gpu.md").write_text(_markdown(results))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="the accelerator to time (cuda)")
    parser.add_argument("--quick", action="store_true", help="tiny windows and fit (dry run)")
    parser.add_argument("--fit-limit", type=float, default=75.0, help="cap of the full fit, s")
    parser.add_argument("--test-timeout", type=float, default=120.0)
    parser.add_argument("--skip", nargs="*", default=[], help="parts: timings tests fit")
    args = parser.parse_args(argv)
    out = Path(os.environ["OUT"]) if os.environ.get("OUT") else Path("gpu-results")
    results: dict[str, Any] = {"args": vars(args), "errors": [], "timings": []}

    def part(name: str, fn: Any, *a: Any) -> Any:
        try:
            return fn(*a)
        except BaseException as exc:  # noqa: BLE001 -- record and go on to the next part
            if isinstance(exc, SystemExit):
                raise
            results["errors"].append(f"{name}: {exc!r}")
            print(traceback.format_exc(), file=sys.stderr)
            return {"error": repr(exc)}
        finally:
            _write(results, out)

    # the tests first: their process must not meet a CUDA context of this one (a
    # GPU in exclusive-process mode takes one process at a time)
    if "tests" not in args.skip:
        results["tests"] = part("tests", run_tests, args.quick, args.test_timeout)
        print(results["tests"].get("tail", ""), flush=True)
    results["environment"] = part("environment", environment)
    print(json.dumps(results["environment"]), flush=True)
    cpu_all = os.cpu_count() or 1
    gpu_warmup, gpu_window = (3, 1.0) if args.quick else (20, 3.0)
    cpu_warmup, cpu_window = (1, 1.0) if args.quick else (2, 5.0)
    configs = []
    for label, side, channels in (("28x28 gray", 28, 1), ("64x64 RGB", 64, 3)):
        if args.device != "cpu":
            for mixed in (True, False):
                configs.append((label, side, channels, args.device, mixed, 1))
        for threads in dict.fromkeys((1, cpu_all)):
            configs.append((label, side, channels, "cpu", False, threads))
    if "timings" not in args.skip:
        for label, side, channels, device, mixed, threads in configs:
            warm, window = (cpu_warmup, cpu_window) if device == "cpu" else (gpu_warmup, gpu_window)
            row = {"label": label, "device": device, "mixed_precision": mixed, "threads": threads}
            results["timings"].append(row)
            outcome = part(
                f"timing {label} {device} mp={mixed} threads={threads}",
                steps_per_second,
                device,
                side,
                channels,
                mixed,
                threads,
                warm,
                window,
            )
            row["result" if "error" not in outcome else "error"] = outcome
            print(json.dumps(row), flush=True)
    if "fit" not in args.skip:
        n, steps = (200, 20) if args.quick else (2000, "auto")
        results["full_fit"] = part("full fit", full_fit, args.device, n, steps, args.fit_limit)
        print(json.dumps(results["full_fit"]), flush=True)
    _write(results, out)
    print(f"wrote {out / 'gpu.json'} and {out / 'gpu.md'}", flush=True)
    return results


if __name__ == "__main__":
    main()
