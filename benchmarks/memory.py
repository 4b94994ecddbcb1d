"""Peak memory of a fit from a torch Dataset of images on disk: 5,000 against 50,000.

Run ``python benchmarks/memory.py``. For each size it writes that many 28x28
grayscale images to one raw file in a temporary folder, then fits
``GANAugmenter(max_steps=30)`` (other settings default) in a fresh Python
process on a ``Dataset`` that reads one image per ``__getitem__`` with
``os.pread`` (as an image folder reads one file per item: nothing is memory
mapped, so the file's pages never count as the process's memory). The child
reports its peak resident memory (``ru_maxrss``), its resident memory after the
imports, and how often each image was read.

Target (issue 11): the 50,000-image peak within 10% of the 5,000-image peak.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

ROOT = Path(__file__).resolve().parent.parent


class DiskImages(Dataset):
    """``(image, label)`` pairs read one at a time from a raw uint8 file.

    Parameters
    ----------
    path : str
        File of ``n`` images of ``side x side`` bytes, one after the other.
    labels : ndarray of shape (n,)
        Their classes (a real image folder knows them from the folder names).
    """

    def __init__(self, path: str, labels: np.ndarray, side: int) -> None:
        self.path, self.labels, self.side = path, labels, side
        self.reads = 0
        self._fd: int | None = None

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        size = self.side * self.side
        raw = os.pread(self._fd, size, int(i) * size)
        self.reads += 1
        image = torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(1, self.side, self.side)
        return image, int(self.labels[i])


def write_images(path: Path, n: int, side: int, n_classes: int = 10) -> np.ndarray:
    """Write ``n`` class-dependent noisy blobs, in chunks; returns the labels."""
    rng = np.random.default_rng(0)
    labels = np.arange(n) % n_classes
    grid = np.linspace(-1, 1, side)
    with open(path, "wb") as f:
        for start in range(0, n, 5000):
            y = labels[start : start + 5000]
            cx = np.cos(2 * np.pi * y / n_classes)[:, None, None] * 0.5
            cy = np.sin(2 * np.pi * y / n_classes)[:, None, None] * 0.5
            blob = np.exp(-((grid[None, :, None] - cx) ** 2 + (grid[None, None, :] - cy) ** 2) * 8)
            x = np.clip(blob + 0.1 * rng.normal(size=blob.shape), 0, 1)
            f.write((x * 255).astype(np.uint8).tobytes())
    return labels


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(path: str, labels_path: str, side: int, max_steps: int) -> dict:
    """One fit in this process; what it measured."""
    sys.path.insert(0, str(ROOT))
    from ganaug import GANAugmenter

    labels = np.load(labels_path)
    data = DiskImages(path, labels, side)
    after_imports = _rss_mib()
    start = time.perf_counter()
    aug = GANAugmenter(max_steps=max_steps, random_state=0).fit(data, None)
    X_new, _ = aug.sample(64)
    return {
        "n_images": len(labels),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_after_imports_mib": round(after_imports, 1),
        "reads_per_image": round(data.reads / len(labels), 2),
        "fit_s": round(time.perf_counter() - start, 1),
        "sampled": tuple(X_new.shape),
    }


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument("--side", type=int, default=28)
    parser.add_argument("--max-steps", type=int, default=30)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child, args.side, args.max_steps)))
        return []
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path, labels_path = Path(tmp) / f"images-{n}.raw", Path(tmp) / f"labels-{n}.npy"
            np.save(labels_path, write_images(path, n, args.side))
            cmd = [sys.executable, __file__, "--child", str(path), str(labels_path)]
            cmd += ["--side", str(args.side), "--max-steps", str(args.max_steps)]
            env = {**os.environ, "NO_ALBUMENTATIONS_UPDATE": "1"}
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"the fit of {n} images failed:\n{done.stderr[-3000:]}")
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1]), flush=True)
    if len(results) >= 2:
        small, large = results[0], results[-1]
        ratio = large["peak_rss_mib"] / small["peak_rss_mib"]
        print(
            f"peak RSS {large['n_images']:,} images: {large['peak_rss_mib']} MiB; "
            f"{small['n_images']:,}: {small['peak_rss_mib']} MiB; ratio {ratio:.3f} "
            f"({'within' if ratio <= 1.10 else 'over'} the 10% target)"
        )
    return results


if __name__ == "__main__":
    main()
