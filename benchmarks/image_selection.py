"""Which synthetic images to keep: the label gate's draw order against diverse picks.

Run ``python benchmarks/image_selection.py --data digits8`` (or ``digits28``)
from ``benchmarks/``. For each seed it fits ``GANAugmenter(random_state=seed)``
with its defaults (or loads the fit from ``--cache``), draws four times as many
candidates per class as asked, and keeps as many as asked in one of three ways:

- ``gate``: the candidates the label gate accepts, in the order they were drawn
  (what ganaug's sampling does);
- ``spread``: farthest-point picks among the accepted, each the candidate
  farthest, in the gate's pooled pixels, from those already picked;
- ``hard``: the accepted candidates the gate rates least likely to be of their
  class first (the ones nearest its decision boundary).

Each is scored as ``benchmarks/images.py`` scores ganaug: the balanced
accuracy of a logistic regression on pixels trained on the real plus the kept
images (the counts ``fit_resample`` adds), label fidelity, and the detection
AUC of as many kept images per class as real ones. RandomOverSampler on the
same split is the baseline. Results are in ``benchmarks/BENCHMARKS.md``.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from images import _score, load, pixel_detection_auc  # noqa: E402
from imblearn.over_sampling import RandomOverSampler  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from ganaug import GANAugmenter  # noqa: E402
from ganaug.inputs.dispatch import restore_samples  # noqa: E402
from ganaug.sampling.gate import features  # noqa: E402

RULES = ("gate", "spread", "hard")
# Candidates drawn per image asked for.
CANDIDATES = 4


def farthest_points(F: np.ndarray, n: int) -> np.ndarray:
    """Row order of ``F`` whose first ``n`` rows are farthest-point picks, the rest after."""
    if len(F) == 0:
        return np.zeros(0, dtype=np.int64)
    chosen = [0]
    nearest = ((F - F[0]) ** 2).sum(1)  # squared distance to the nearest pick so far
    for _ in range(min(n, len(F)) - 1):
        j = int(np.argmax(nearest))
        chosen.append(j)
        nearest = np.minimum(nearest, ((F - F[j]) ** 2).sum(1))
    return np.r_[chosen, np.setdiff1d(np.arange(len(F)), chosen)].astype(np.int64)


def keep(gan: GANAugmenter, counts: dict[int, int], rule: str, seed: int):
    """``counts[c]`` images of each class index ``c``, kept by ``rule``: caller's format, labels."""
    model, gate = gan.model_, gan._gate
    rng = torch.Generator(device=model.device)
    rng.manual_seed(seed)
    kept, labels = [], []
    for c, n in counts.items():
        y = np.full(CANDIDATES * n, c)
        images = model.generate(y, rng)
        F = features(model, images)
        ok = np.flatnonzero(gate.accept(F, y))
        if rule == "spread":
            ok = ok[farthest_points(F[ok], n)]
        elif rule == "hard":
            ok = ok[np.argsort(gate.likelihood(F[ok], y[ok]), kind="stable")]
        order = np.r_[ok, np.setdiff1d(np.arange(len(y)), ok)]  # rejects only if short
        kept.append(images[torch.as_tensor(order[:n])])
        labels.append(np.full(n, c))
    X = np.asarray(restore_samples(torch.cat(kept), gan._input))
    return X, gan.classes_[np.concatenate(labels)]


def run_seed(data: str, seed: int, cache: str | None) -> dict[str, float]:
    """RandomOverSampler and each rule on one seed's split."""
    X_tr, X_te, y_tr, y_te, X_all, y_all = load(data, seed, False)
    path = os.path.join(cache, f"{data}_s{seed}.ganaug") if cache else None
    if path and os.path.exists(path):
        gan = GANAugmenter.load(path)
    else:
        gan = GANAugmenter(random_state=seed).fit(X_tr, y_tr)
        if path:
            gan.save(path)
    if gan._gate is None:
        raise SystemExit("the fit has no label gate: fit with filter_samples='auto' or True")
    flat = X_tr.reshape(len(X_tr), -1)
    row: dict[str, float] = {"seed": seed}
    row["ROS"] = _score(*RandomOverSampler(random_state=seed).fit_resample(flat, y_tr), X_te, y_te)
    reader = LogisticRegression(max_iter=3000).fit(X_all.reshape(len(X_all), -1), y_all)
    index = {c: i for i, c in enumerate(gan.classes_)}
    wanted = {index[c]: n for c, n in gan.sampling_strategy_.items() if n > 0}
    real = {index[c]: int((y_tr == c).sum()) for c in gan.classes_}
    for rule in RULES:
        X_syn, y_syn = keep(gan, wanted, rule, seed)
        row[rule] = _score(np.r_[X_tr, X_syn], np.r_[y_tr, y_syn], X_te, y_te)
        row["fid_" + rule] = float((reader.predict(X_syn.reshape(len(X_syn), -1)) == y_syn).mean())
        X_det, y_det = keep(gan, real, rule, seed + 500)
        row["det_" + rule] = pixel_detection_auc(gan.classes_, X_tr, y_tr, X_det, y_det, seed)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=["digits28", "digits8", "shapes32"], default="digits8")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--cache", default=None, help="a folder to save fits to and load from")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    for seed in args.seeds:
        rows.append(run_seed(args.data, seed, args.cache))
        print({k: round(v, 4) for k, v in rows[-1].items()}, flush=True)
    print(f"\n{args.data}, mean of {len(rows)} seeds")
    for rule in RULES:
        gain = np.mean([r[rule] - r["ROS"] for r in rows])
        fid = np.mean([r["fid_" + rule] for r in rows])
        det = np.mean([r["det_" + rule] for r in rows])
        print(f"{rule:<8} GAN - ROS {gain:+.4f}  fidelity {fid:.3f}  detection AUC {det:.3f}")


if __name__ == "__main__":
    main()
