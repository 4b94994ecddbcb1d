"""Image benchmark: digits with classes 0-4 at 10% of the training split.

Run ``python benchmarks/images.py``. Targets for the defaults (2-core CPU):

- label fidelity >= 0.90: a logistic regression trained on all real training
  digits reads the synthetic digits as their class;
- balanced accuracy of a logistic regression trained on GANAugmenter's output
  >= with RandomOverSampler and >= with SMOTE, on the mean over the seeds
  (0-4 by default; one seed is too noisy to decide: the same fitted GAN gave
  0.924 to 0.930 over three sampling seeds);
- a default fit in <= 180 s.

It also reports training steps/s and generated images/s. ``--max-steps`` takes
several budgets to see how quality grows with training; ``--device`` picks the
device (fit time targets are for the CPU).

Measured with ``python benchmarks/images.py`` on the 2-core development machine
(quiet, one thread; 2026-11-27), defaults (``max_steps="auto"`` = 1,187 steps,
no auxiliary classifier, mean matching, DiffAugment without cutout at 8x8):

=====  ============  ======  =====  ============  ========  =====  =======
seed   no resample   ROS     SMOTE  GANAugmenter  fidelity  fit s  steps/s
=====  ============  ======  =====  ============  ========  =====  =======
0      0.882         0.922   0.918  0.933         0.967     86     13.7
1      0.851         0.926   0.913  0.919         0.943     77     15.3
2      0.876         0.933   0.929  0.937         0.942     74     15.9
3      0.875         0.947   0.937  0.947         0.957     68     17.5
4      0.858         0.935   0.929  0.939         0.979     82     14.5
mean   0.868         0.933   0.926  0.935         0.958     78
=====  ============  ======  =====  ============  ========  =====  =======

Generation ran at 9,800-12,000 images/s. The GAN is >= random oversampling on
4 of 5 seeds and on the mean, by 0.002: within the seed-to-seed spread (paired
differences +0.011, -0.007, +0.004, 0.000, +0.004), so call it a tie. It is >=
SMOTE on 5 of 5 seeds (mean +0.009). Label fidelity is >= 0.94 on every seed.

How the defaults got here (mean balanced accuracy; same seeds, paired):

- auxiliary classifier on, no mean matching: 0.911 over seeds 0-2 against
  0.927 for random oversampling. The auxiliary classifier, trained on a dozen
  images of each small class, narrowed that class's samples (``aux_weight=0``:
  0.922 over seeds 0-2; 0.1: 0.917), and each small class's synthetic mean
  image missed the real one by 0.05-0.08 per pixel;
- mean matching on top of ``aux_weight=0``: 0.934 over seeds 0-4, fidelity
  0.938 (lowest 0.901); leaving out cutout at 8x8 then gave the table above;
- tried without gain: 1,600 steps (0.931 against 0.930, seeds 0-2); with the
  auxiliary classifier on, a mode-seeking term x2 or x4 (0.913, 0.910 against
  0.911, seeds 0-2) or none (0.891); networks twice as wide (lower on the one
  seed tried, and much slower); rescaling the spread as well as the mean
  (lower); sampling noise scaled by 1.3 (+0.003 on one seed, fidelity 0.85).

With two torch threads the same fit ran at about half the speed.
"""

from __future__ import annotations

import argparse
import os
import platform

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from ganaug.demo import run_image_demo  # noqa: E402

FIDELITY_TARGET = 0.90
FIT_TARGET_S = 180.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-steps", nargs="+", default=["auto"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--out", default=None, help="write the digit grid here")
    args = parser.parse_args()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch "
        f"{torch.__version__}, {torch.get_num_threads()} threads by default"
    )
    for steps in args.max_steps:
        budget = steps if steps == "auto" else int(steps)
        runs = []
        for seed in args.seeds:
            print(f"\n== max_steps={budget}, seed={seed}, device={args.device}")
            r = run_image_demo(
                out=args.out, seed=seed, max_steps=budget, device=args.device, n_jobs=args.n_jobs
            )
            print(f"steps/s {r['steps_per_second']:.1f}, images/s {r['images_per_second']:.0f}")
            runs.append({"seed": seed, **r})
        _summary(budget, runs)


def _summary(budget: object, runs: list[dict[str, float]]) -> None:
    """One row per seed, the mean, and the targets checked on the mean."""
    cols = ["no resampling", "RandomOverSampler", "SMOTE", "GANAugmenter", "label_fidelity"]
    names = ["none", "ROS", "SMOTE", "GAN", "fidelity"]
    print(f"\n== max_steps={budget}: balanced accuracy of logistic regression")
    print(f"{'seed':<6}" + "".join(f"{n:>10}" for n in names) + f"{'fit s':>8}{'steps/s':>9}")
    for r in runs:
        print(
            f"{r['seed']:<6}"
            + "".join(f"{r[c]:>10.3f}" for c in cols)
            + f"{r['fit_seconds']:>8.0f}{r['steps_per_second']:>9.1f}"
        )
    mean = {c: float(np.mean([r[c] for r in runs])) for c in [*cols, "fit_seconds"]}
    means = "".join(f"{mean[c]:>10.3f}" for c in cols)
    print(f"{'mean':<6}{means}{mean['fit_seconds']:>8.0f}")
    wins = {
        other: sum(r["GANAugmenter"] >= r[other] for r in runs)
        for other in ("RandomOverSampler", "SMOTE")
    }
    checks = {
        "fidelity (every seed)": min(r["label_fidelity"] for r in runs) >= FIDELITY_TARGET,
        ">= ROS (mean)": mean["GANAugmenter"] >= mean["RandomOverSampler"],
        ">= SMOTE (mean)": mean["GANAugmenter"] >= mean["SMOTE"],
        "fit time (every seed)": max(r["fit_seconds"] for r in runs) <= FIT_TARGET_S,
    }
    print(
        f"GAN >= ROS on {wins['RandomOverSampler']} of {len(runs)} seeds, >= SMOTE on "
        f"{wins['SMOTE']} of {len(runs)}; "
        + ", ".join(f"{k}: {'ok' if v else 'MISSED'}" for k, v in checks.items())
    )


if __name__ == "__main__":
    main()
