"""Pictures of a fitted GANAugmenter: loss curves, image grids, column distributions.

Needs matplotlib (``pip install ganaug[plot]``). Figures are built with
``matplotlib.figure.Figure`` rather than pyplot, so nothing here changes global
plotting state or needs a display; every function returns its Figure and, given
``path``, also saves it (PNG by the suffix).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._scalars import plain
from .encoders.image import to_hwc

__all__ = ["plot_distributions", "plot_history", "sample_grid"]

_LOSS_LABELS = {
    "loss_d": "critic",
    "loss_g": "generator",
    "gp": "gradient penalty",
    "loss_c": "aux. classifier (real)",
    "aux_g": "aux. classifier (fake)",
}


def _figure(**kwargs: Any) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("ganaug.plotting needs matplotlib: pip install ganaug[plot]") from None
    return Figure(**kwargs)


def _save(fig: Any, path: str | os.PathLike | None) -> None:
    if path is not None:
        fig.savefig(path, dpi=fig.dpi, bbox_inches="tight")


def _synthetic_per_class(
    augmenter: Any, kind: str, n: int, random_state: int, wrong_kind: str
) -> tuple[Any, np.ndarray]:
    """``n`` synthetic samples of every class, from an augmenter fitted on ``kind`` data."""
    if getattr(augmenter, "model_type_", None) != kind:
        raise ValueError(wrong_kind)
    synth, synth_y = augmenter.sample(
        {plain(c): n for c in augmenter.classes_}, random_state=random_state
    )
    return synth, np.asarray(synth_y)


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    """A trailing moving average; GAN losses are too noisy to read step by step."""
    if window <= 1 or len(values) < window:
        return values
    kernel = np.ones(window) / window
    head = np.cumsum(values[: window - 1]) / np.arange(1, window)
    return np.concatenate([head, np.convolve(values, kernel, mode="valid")])


def plot_history(
    history: Any,
    path: str | os.PathLike | None = None,
    *,
    keys: Sequence[str] | None = None,
    smooth: int | None = None,
) -> Any:
    """Loss curves of a training run.

    Parameters
    ----------
    history : GANAugmenter or list of dict
        A fitted augmenter (its ``history_``) or such a list.
    path : str or path-like, optional
        Where to save the figure (e.g. ``"losses.png"``).
    keys : sequence of str, optional
        Which entries to draw; by default every recorded loss.
    smooth : int, optional
        Moving-average window; by default about 1/20 of the run.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from ganaug import GANAugmenter
    >>> from ganaug.plotting import plot_history
    >>> X, y = make_classification(n_samples=200, weights=[0.9, 0.1], random_state=0)
    >>> aug = GANAugmenter(max_steps=20, random_state=0).fit(X, y)
    >>> len(aug.history_)  # one dict of losses per generator step
    20
    >>> {"loss_d", "loss_g"} <= set(aug.history_[0])  # the critic's and generator's
    True
    >>> fig = plot_history(aug, "losses.png")  # doctest: +SKIP
    """
    records = getattr(history, "history_", history)
    if not isinstance(records, list | tuple) or not records:
        raise ValueError("history is empty: fit the augmenter first (history_ has no steps).")
    frame = pd.DataFrame.from_records(records)
    steps = frame["step"].to_numpy() if "step" in frame else np.arange(1, len(frame) + 1)
    keys = list(keys) if keys is not None else [k for k in _LOSS_LABELS if k in frame]
    missing = [k for k in keys if k not in frame]
    if missing:
        raise ValueError(f"history has no {missing}; it records {sorted(frame.columns)}.")
    window = smooth if smooth is not None else max(1, len(frame) // 20)
    fig = _figure(figsize=(6.4, 3.6), dpi=100)
    ax = fig.add_subplot()
    for key in keys:
        values = frame[key].to_numpy(dtype=float)
        (line,) = ax.plot(steps, _smooth(values, window), label=_LOSS_LABELS.get(key, key))
        if window > 1:
            ax.plot(steps, values, color=line.get_color(), alpha=0.2, linewidth=0.8)
    ax.set_xlabel("generator step")
    ax.set_ylabel("loss")
    ax.set_title(
        "Training losses" + (f" (moving average over {window} steps)" if window > 1 else "")
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    _save(fig, path)
    return fig


def _images_of(X: Any, y: np.ndarray, label: Any, n: int) -> list[np.ndarray]:
    picked = np.flatnonzero(y == label)[:n]
    out = []
    for i in picked:
        item = X[int(i)]
        out.append(to_hwc(item[0] if isinstance(item, tuple | list) else item))
    return out


def _show(ax: Any, image: np.ndarray, cmap: str) -> None:
    if image.dtype != np.uint8:
        image = np.clip(image, 0.0, 1.0)
    if image.shape[2] == 1:
        ax.imshow(image[:, :, 0], cmap=cmap, vmin=0, vmax=255 if image.dtype == np.uint8 else 1)
    else:
        ax.imshow(image)
    ax.set_xticks([])
    ax.set_yticks([])


def sample_grid(
    augmenter: Any,
    X: Any = None,
    y: Any = None,
    path: str | os.PathLike | None = None,
    *,
    n_per_class: int = 8,
    random_state: int = 0,
    cmap: str = "gray",
) -> Any:
    """Real images beside synthetic ones, one row per class.

    Parameters
    ----------
    augmenter : GANAugmenter
        Fitted on images.
    X, y : images and labels, optional
        Real images to show on the left of each row (an array or a Dataset of
        ``(image, label)``); without them only synthetic images are shown.
    path : str or path-like, optional
        Where to save the figure, e.g. ``"grid.png"``.
    n_per_class : int, default=8
        Images per class on each side.
    random_state : int, default=0
        Seed of the synthetic draw.
    cmap : str, default="gray"
        Matplotlib colormap of grayscale images, e.g. ``"gray_r"`` for dark
        strokes on white; RGB images are drawn as they are.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from ganaug import GANAugmenter
    >>> from ganaug.plotting import sample_grid
    >>> digits = load_digits()
    >>> X, y = (digits.images[:300] / 16).astype("float32"), digits.target[:300]
    >>> aug = GANAugmenter(max_steps=2, random_state=0).fit(X, y)  # 8x8 digits in [0, 1]
    >>> aug.model_type_
    'image'
    >>> fig = sample_grid(aug, X, y, "digits.png", cmap="gray_r")  # doctest: +SKIP
    """
    synth, synth_y = _synthetic_per_class(
        augmenter,
        "image",
        n_per_class,
        random_state,
        "sample_grid is for an augmenter fitted on images; use plot_distributions for tables.",
    )
    classes = augmenter.classes_
    has_real = X is not None
    if has_real and y is None:
        from .torch_data import _dataset_labels

        y = _dataset_labels(X)
    n_cols = n_per_class * (2 if has_real else 1) + (1 if has_real else 0)
    fig = _figure(figsize=(0.8 * n_cols, 0.85 * len(classes) + 0.4), dpi=100)
    axes = fig.subplots(len(classes), n_cols, squeeze=False)
    for row, label in enumerate(classes):
        real = _images_of(X, np.asarray(y), label, n_per_class) if has_real else []
        fake = [to_hwc(synth[i]) for i in np.flatnonzero(synth_y == label)]
        offset = n_per_class + 1 if has_real else 0
        for ax in axes[row]:
            ax.set_axis_off()
        for col, image in enumerate(real):
            axes[row, col].set_axis_on()
            _show(axes[row, col], image, cmap)
        for col, image in enumerate(fake):
            axes[row, offset + col].set_axis_on()
            _show(axes[row, offset + col], image, cmap)
        axes[row, 0].set_axis_on()
        axes[row, 0].set_ylabel(str(label), rotation=0, ha="right", va="center")
    if has_real:
        axes[0, 0].set_title("real", loc="left", fontsize="small")
        axes[0, n_per_class + 1].set_title("synthetic", loc="left", fontsize="small")
    fig.subplots_adjust(wspace=0.05, hspace=0.05)
    _save(fig, path)
    return fig


def plot_distributions(
    augmenter: Any,
    X: Any,
    y: Any,
    path: str | os.PathLike | None = None,
    *,
    columns: Sequence[Any] | None = None,
    n_samples: int = 500,
    random_state: int = 0,
) -> Any:
    """Real versus synthetic distribution of each column, per class.

    One row per column and one panel per class: overlaid histograms for numbers,
    side-by-side bars of category frequencies for categories.

    Parameters
    ----------
    augmenter : GANAugmenter
        Fitted on a table.
    X, y : table and labels
        The real data to compare with.
    path : str or path-like, optional
        Where to save the figure.
    columns : sequence, optional
        Columns to draw (names, or positions for an ndarray); by default the
        first 8.
    n_samples : int, default=500
        Synthetic rows drawn per class.
    random_state : int, default=0
        Seed of the synthetic draw.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from ganaug import GANAugmenter
    >>> from ganaug.plotting import plot_distributions
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"height": rng.normal(170, 10, 200), "team": rng.choice(["a", "b"], 200)})
    >>> y = np.array(["yes"] * 160 + ["no"] * 40)
    >>> aug = GANAugmenter(max_steps=20, random_state=0).fit(X, y)
    >>> aug.model_type_
    'tabular'
    >>> fig = plot_distributions(aug, X, y, "columns.png")  # doctest: +SKIP
    """
    real = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    y = np.asarray(y)
    if len(y) != len(real):
        raise ValueError(f"X has {len(real)} rows but y has {len(y)} labels.")
    synth, synth_y = _synthetic_per_class(
        augmenter,
        "tabular",
        n_samples,
        random_state,
        "plot_distributions is for an augmenter fitted on a table.",
    )
    classes = augmenter.classes_
    synth = synth if isinstance(synth, pd.DataFrame) else pd.DataFrame(np.asarray(synth))
    synth.columns = real.columns
    columns = list(columns) if columns is not None else list(real.columns[:8])
    unknown = [c for c in columns if c not in real.columns]
    if unknown:
        raise ValueError(f"columns {unknown} are not in X; it has {list(real.columns)}.")
    fig = _figure(figsize=(3.0 * len(classes), 2.2 * len(columns)), dpi=100)
    axes = fig.subplots(len(columns), len(classes), squeeze=False)
    for r, column in enumerate(columns):
        for c, label in enumerate(classes):
            ax = axes[r, c]
            a = real.loc[y == label, column]
            b = synth.loc[synth_y == label, column]
            numeric = pd.api.types.is_numeric_dtype(a.dtype) and not pd.api.types.is_bool_dtype(
                a.dtype
            )
            if numeric and a.nunique() > 10:
                values = pd.concat([a, b]).to_numpy(dtype=float, na_value=np.nan)
                values = values[np.isfinite(values)]
                bins = np.histogram_bin_edges(values, bins=20) if len(values) else 10
                kw = {"bins": bins, "density": True, "alpha": 0.5}
                ax.hist(a.to_numpy(dtype=float, na_value=np.nan), label="real", **kw)
                ax.hist(b.to_numpy(dtype=float, na_value=np.nan), label="synthetic", **kw)
            else:
                fa = a.astype(object).value_counts(normalize=True, dropna=False)
                fb = b.astype(object).value_counts(normalize=True, dropna=False)
                cats = sorted(set(fa.index) | set(fb.index), key=str)[:15]
                pos = np.arange(len(cats))
                ax.bar(pos - 0.2, [fa.get(k, 0) for k in cats], 0.4, label="real")
                ax.bar(pos + 0.2, [fb.get(k, 0) for k in cats], 0.4, label="synthetic")
                ax.set_xticks(pos, [str(k) for k in cats], rotation=45, fontsize="x-small")
            if r == 0:
                ax.set_title(f"class {label}")
            if c == 0:
                ax.set_ylabel(str(column))
            ax.tick_params(labelsize="x-small")
    axes[0, -1].legend(fontsize="x-small")
    fig.tight_layout()
    _save(fig, path)
    return fig
