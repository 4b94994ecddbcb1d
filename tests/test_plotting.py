"""Pictures: loss curves, image grids, column distributions; a clear message without matplotlib."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from ganaug import GANAugmenter, plotting  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TINY = {"max_steps": 3, "hidden_units": (8,), "latent_dim": 4, "n_critic": 1}


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {"height": rng.normal(170, 10, size=50), "team": rng.choice(["a", "b", "c"], size=50)}
    )
    y = np.array(["yes"] * 40 + ["no"] * 10)
    return GANAugmenter(random_state=0, **TINY).fit(X, y), X, y


def _is_png(path) -> bool:
    return path.read_bytes()[:8] == PNG_SIGNATURE


def test_plot_history_draws_every_loss(table, tmp_path):
    aug, _, _ = table
    path = tmp_path / "losses.png"
    fig = plotting.plot_history(aug, path)
    assert _is_png(path)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert {"critic", "generator"} <= set(labels)
    assert len(fig.axes[0].lines[0].get_xdata()) == 3  # one point per recorded step
    with pytest.raises(ValueError, match="history is empty"):
        plotting.plot_history([])
    with pytest.raises(ValueError, match="has no"):
        plotting.plot_history(aug.history_, keys=["nonsense"])


def test_plot_distributions_one_panel_per_column_and_class(table, tmp_path):
    aug, X, y = table
    path = tmp_path / "columns.png"
    fig = plotting.plot_distributions(aug, X, y, path, n_samples=50)
    assert _is_png(path)
    assert len(fig.axes) == 2 * 2  # columns x classes
    titles = {ax.get_title() for ax in fig.axes}
    assert {"class no", "class yes"} <= titles
    with pytest.raises(ValueError, match="not in X"):
        plotting.plot_distributions(aug, X, y, columns=["weight"])
    with pytest.raises(ValueError, match="fitted on images"):
        plotting.sample_grid(aug)


def test_sample_grid_puts_real_beside_synthetic(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(20, 8, 8), dtype=np.uint8)
    y = np.array([0] * 14 + [1] * 6)
    aug = GANAugmenter(model="image", random_state=0, max_steps=1, batch_size=8).fit(X, y)
    path = tmp_path / "grid.png"
    fig = plotting.sample_grid(aug, X, y, path, n_per_class=3)
    assert _is_png(path)
    # 2 classes x (3 real + a gap + 3 synthetic); 12 panels show an image
    assert len(fig.axes) == 2 * 7
    assert sum(bool(ax.images) for ax in fig.axes) == 12
    synthetic_only = plotting.sample_grid(aug, n_per_class=2)
    assert sum(bool(ax.images) for ax in synthetic_only.axes) == 4


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install ganaug\[plot\]"):
        plotting.plot_history([{"step": 1, "loss_d": 0.0, "loss_g": 0.0}])
