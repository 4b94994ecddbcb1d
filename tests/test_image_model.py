"""The image model: losses, determinism, Dataset streaming, persistence state, digits."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from torch.utils.data import Dataset

from ganaug import GANAugmenter
from ganaug.diffaugment import DiffAugment
from ganaug.models.image import ImageGAN


def _digits(n: int | None = None):
    X, y = load_digits(return_X_y=True)
    images = np.round(X.reshape(-1, 8, 8) * (255 / 16)).astype(np.uint8)
    return (images, y) if n is None else (images[:n], y[:n])


def _small(**kw):
    params = {"max_steps": 2, "batch_size": 8, "n_jobs": 1, "random_state": 0, **kw}
    return GANAugmenter(**params)


@pytest.mark.parametrize("loss", ["hinge", "bce", "wgan-gp"])
def test_each_loss_trains_a_few_steps(loss):
    X, y = _digits(40)
    aug = _small(loss=loss).fit(X, y)
    assert aug.n_steps_ == 2
    assert all(np.isfinite(h["loss_d"]) for h in aug.history_)
    assert ("gp" in aug.history_[0]) == (loss == "wgan-gp")
    X_new, _ = aug.sample(6)
    assert X_new.shape == (6, 8, 8)


def test_default_loss_for_images_is_hinge():
    X, y = _digits(40)
    aug = _small().fit(X, y)
    assert aug.model_.settings.loss == "hinge"
    assert aug.model_.settings.n_critic == 1


def test_random_state_makes_results_repeatable():
    X, y = _digits(40)
    a = _small(random_state=3).fit_resample(X, y)[0]
    b = _small(random_state=3).fit_resample(X, y)[0]
    c = _small(random_state=4).fit_resample(X, y)[0]
    assert np.array_equal(a, b)
    assert not np.array_equal(a[40:], c[40:])


def test_global_rngs_are_untouched():
    X, y = _digits(40)
    torch_state = torch.get_rng_state()
    np_state = np.random.get_state()[1].copy()  # noqa: NPY002
    _small().fit(X, y).sample(5)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state)  # noqa: NPY002


def test_diffaugment_uses_only_the_given_generator():
    x = torch.rand(4, 3, 16, 16) * 2 - 1
    g1, g2 = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    out1, out2 = DiffAugment()(x, g1), DiffAugment()(x, g2)
    assert torch.equal(out1, out2) and not torch.equal(out1, x)
    assert out1.shape == x.shape


class _ListDataset(Dataset):
    """An in-test Dataset of ``(1, H, W)`` image tensors and int labels."""

    def __init__(self, images, labels):
        self.images, self.labels = images, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return torch.as_tensor(self.images[i]).unsqueeze(0), int(self.labels[i])


def test_fit_streams_from_a_dataset():
    X, y = _digits(40)
    ds = _ListDataset(X, y)
    aug = _small().fit(ds, None)
    assert aug.model_type_ == "image"
    assert sorted(aug.class_counts_) == sorted(set(y.tolist()))
    assert aug.class_counts_[0] == int((y == 0).sum())
    X_new, y_new = aug.sample(4, y=3)
    # dataset items are (1, 8, 8) uint8 tensors: synthetic items come back alike
    assert isinstance(X_new, torch.Tensor) and X_new.dtype == torch.uint8
    assert tuple(X_new.shape) == (4, 1, 8, 8)
    assert list(y_new) == [3] * 4
    with pytest.raises(ValueError, match="y must be None"):
        _small().fit(ds, y)


def test_dataset_with_mixed_sizes_fails_before_training():
    images = [np.zeros((8, 8), np.uint8)] * 5 + [np.zeros((9, 9), np.uint8)] * 5
    ds = _ListDataset(images, [0, 1] * 5)
    with pytest.raises(ValueError, match="different shapes"):
        _small().fit(ds, None)


def test_dataset_with_nan_pixels_fails():
    images = [np.full((8, 8), 0.5, np.float32) for _ in range(10)]
    images[7][3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        _small().fit(_ListDataset(images, [0, 1] * 5), None)


def test_state_rebuilds_a_sampler_with_the_same_output():
    X, y = _digits(40)
    aug = _small().fit(X, y)
    config, tensors = aug.model_.get_state()
    import json

    json.dumps(config)  # JSON-able
    assert all(isinstance(t, torch.Tensor) for t in tensors.values())
    rebuilt = ImageGAN.from_state(config, tensors, torch.device("cpu"))
    labels = np.array([0, 1, 2, 3])
    a = aug.model_.generate(labels, torch.Generator().manual_seed(5))
    b = rebuilt.generate(labels, torch.Generator().manual_seed(5))
    assert torch.equal(a, b)
    assert rebuilt.steps_done == aug.n_steps_


def test_digits_end_to_end_label_fidelity():
    """Classes 0-4 cut to 10%: a classifier of all real digits reads the synthetic ones."""
    X, y = _digits()
    rng = np.random.default_rng(0)
    keep = np.concatenate(
        [
            rng.choice(
                np.flatnonzero(y == c), (y == c).sum() // (10 if c < 5 else 1), replace=False
            )
            for c in range(10)
        ]
    )
    aug = GANAugmenter(max_steps=250, n_jobs=1, random_state=0)
    X_res, y_res = aug.fit_resample(X[keep], y[keep])
    assert np.bincount(y_res).min() == np.bincount(y_res).max()
    reader = LogisticRegression(max_iter=3000).fit(X.reshape(len(X), -1) / 255.0, y)
    synthetic, labels = X_res[len(keep) :], y_res[len(keep) :]
    fidelity = (reader.predict(synthetic.reshape(len(synthetic), -1) / 255.0) == labels).mean()
    assert fidelity > 0.6  # chance is 0.1


def test_save_and_load_an_image_augmenter(tmp_path):
    X, y = _digits(40)
    aug = _small().fit(X, y)
    aug.save(tmp_path / "digits.ganaug")
    loaded = GANAugmenter.load(tmp_path / "digits.ganaug")
    a, ya = aug.sample(6, random_state=1)
    b, yb = loaded.sample(6, random_state=1)
    assert b.dtype == np.uint8 and np.array_equal(a, b) and np.array_equal(ya, yb)


def test_a_loaded_image_augmenter_trains_on_with_warm_start(tmp_path):
    X, y = _digits(40)
    aug = _small(aux_weight=0.5, warm_start=True).fit(X, y)
    aug.save(tmp_path / "digits.ganaug")
    loaded = GANAugmenter.load(tmp_path / "digits.ganaug")
    # every network and the trainer's random state come back
    for name in ("generator", "critic", "classifier", "ema"):
        saved = getattr(aug.model_.trainer, name).state_dict()
        restored = getattr(loaded.model_.trainer, name).state_dict()
        assert saved.keys() == restored.keys()
        assert all(torch.equal(saved[k], restored[k]) for k in saved)
    assert torch.equal(aug.model_.trainer.rng.get_state(), loaded.model_.trainer.rng.get_state())
    before, _ = loaded.sample(6, random_state=1)
    loaded.fit(X, y)
    assert loaded.n_steps_ == 4 and len(loaded.history_) == 4
    after, _ = loaded.sample(6, random_state=1)
    assert not np.array_equal(before, after)


def test_an_image_model_file_without_its_critic_is_refused_as_damaged(tmp_path):
    # every image model file holds all its networks: one with the sampling generator
    # alone is damaged, not a model that samples but cannot train on
    from safetensors import safe_open
    from safetensors.torch import save_file

    X, y = _digits(40)
    aug = _small(warm_start=True).fit(X, y)
    aug.save(tmp_path / "full.ganaug")
    with safe_open(str(tmp_path / "full.ganaug"), framework="pt") as handle:
        metadata = handle.metadata()
        kept = {
            k: handle.get_tensor(k) for k in handle.keys() if k.startswith(("generator.", "shift."))
        }
    save_file(kept, str(tmp_path / "sampler.ganaug"), metadata=metadata)
    with pytest.raises(ValueError, match="damaged model state"):
        GANAugmenter.load(tmp_path / "sampler.ganaug")
    config, tensors = aug.model_.get_state()
    assert any(k.startswith("critic.") for k in tensors) and "training" in config


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda X, y: (np.pad(X, ((0, 0), (0, 0), (0, 2))), y), r"width 8 -> 10"),
        (lambda X, y: (X.astype(np.float32) / 255, y), r"dtype 'uint8' -> 'float32'"),
        (lambda X, y: (X, np.where(y == 0, 10, y)), r"y has classes"),
        (
            lambda X, y: (X.reshape(len(X), -1), y),
            r"fitted model is the image model and X is a table",
        ),
    ],
    ids=["size", "dtype", "classes", "table"],
)
def test_warm_start_on_other_images_is_refused_before_training(change, match):
    X, y = _digits(40)
    aug = _small(warm_start=True).fit(X, y)
    X2, y2 = change(X, y)
    with pytest.raises(ValueError, match=match):
        aug.fit(X2, y2)
    assert aug.n_steps_ == 2
    assert aug.sample(3)[0].shape == (3, 8, 8)


def test_image_demo_writes_the_grid_and_scores(tmp_path, capsys):
    from ganaug.cli.demo import run_image_demo

    summary = run_image_demo(out=str(tmp_path), seed=0, max_steps=3, n_jobs=1)
    assert (tmp_path / "digits_real_vs_synthetic.png").stat().st_size > 0
    assert {"no resampling", "RandomOverSampler", "SMOTE", "GANAugmenter"} <= set(summary)
    assert 0 <= summary["label_fidelity"] <= 1
    assert "label fidelity" in capsys.readouterr().out


def test_mean_matching_moves_each_class_mean_image_to_the_real_one():
    """After two steps the generator is far from the data; the shift closes the gap."""
    X, y = _digits(200)
    real = {c: X[y == c].mean(0) / 255.0 for c in range(3)}

    def gap(aug):
        images, labels = aug.sample({0: 400, 1: 400, 2: 400}, random_state=0)
        return max(np.abs(images[labels == c].mean(0) / 255.0 - real[c]).mean() for c in real)

    shifted = _small().fit(X, y)
    unmatched = gap(_small(moment_matching=False).fit(X, y))
    # clipping to [0, 255] and uint8 rounding keep it from being exact
    assert gap(shifted) < 0.02 < 0.05 < unmatched
    model = shifted.model_
    final, model.final_shift = model.final_shift, None
    assert gap(shifted) > 0.04  # the intensity map moved the means again: why the final shift
    model.intensities = None
    model.final_shift = final
    assert gap(shifted) > 0.04  # the final shift fits what the map did, not the first shift


def test_intensity_matching_gives_each_class_the_real_distribution_of_pixel_values():
    """After two steps the pixel values are far from the real ones; the map fixes that."""
    X, y = _digits(200)
    levels = np.linspace(0.05, 0.95, 19)

    def gap(aug):
        images, labels = aug.sample({0: 400, 1: 400, 2: 400}, random_state=0)
        return max(
            np.abs(np.quantile(images[labels == c], levels) - np.quantile(X[y == c], levels)).max()
            for c in range(3)
        )

    matched = _small().fit(X, y)
    assert matched.model_.intensities.real_.shape == (10, 1, 129)
    # the digits take 17 values, 16 apart, and samples are put on them; the final mean
    # shift after the map moves values a little (much more after two steps than after a fit)
    assert gap(matched) <= 2 * 16 < 5 * 16 < gap(_small(moment_matching=False).fit(X, y))
    matched.model_.final_shift = None
    assert gap(matched) <= 16  # the map alone: one of those steps at most


def test_mean_matching_skips_classes_with_fewer_than_five_images():
    X, y = _digits(200)
    keep = np.r_[np.flatnonzero(y != 0), np.flatnonzero(y == 0)[:4]]
    aug = _small().fit(X[keep], y[keep])
    offset = aug.model_.shift.offset_
    assert offset.shape == (10, 1, 8, 8)
    assert torch.count_nonzero(offset[0]) == 0
    assert torch.count_nonzero(offset[1]) > 0


def test_aux_weight_auto_is_off_for_images_and_on_for_tables():
    X, y = _digits(40)
    assert _small().fit(X, y).model_.trainer.classifier is None
    assert _small(aux_weight=0.5).fit(X, y).model_.trainer.classifier is not None
    X_tab = np.random.default_rng(0).normal(size=(40, 3))
    assert _small().fit(X_tab, y % 2).model_.trainer.classifier is not None


def test_cutout_is_left_out_below_sixteen_pixels():
    X, y = _digits(40)
    assert _small().fit(X, y).model_.settings.augment == ("color", "translation")
    big = np.repeat(np.repeat(X, 2, axis=1), 2, axis=2)  # 16x16
    assert _small().fit(big, y).model_.settings.augment == ("color", "translation", "cutout")


def test_intensity_matching_leaves_classes_with_fewer_than_five_images_alone():
    X, y = _digits(200)
    keep = np.r_[np.flatnonzero(y != 0), np.flatnonzero(y == 0)[:4]]
    intensities = _small().fit(X[keep], y[keep]).model_.intensities
    assert torch.equal(intensities.real_[0], intensities.synthetic_[0])  # the identity
    assert not torch.equal(intensities.real_[1], intensities.synthetic_[1])


def test_colour_images_get_no_intensity_map():
    """Channels matched one by one break colours: the map is for grayscale images only."""
    X, y = _digits(40)
    rgb = np.repeat(X[..., None], 3, axis=3)
    assert _small().fit(rgb, y).model_.intensities is None
    assert _small().fit(X, y).model_.intensities is not None
    assert _small(moment_matching=False).fit(X, y).model_.intensities is None


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("moment_matching", [True, False])
def test_float_images_on_few_levels_come_back_on_those_levels(channels, moment_matching):
    """The 8x8 digits in sixteenths: every synthetic value is one the real images take."""
    X, y = _digits(200)
    sixteenths = (np.round(X / (255 / 16)) / 16).astype(np.float32)
    if channels == 3:
        sixteenths = np.repeat(sixteenths[..., None], 3, axis=3)
    aug = _small(moment_matching=moment_matching).fit(sixteenths, y)
    assert len(aug.model_.levels.levels_) == len(np.unique(sixteenths))
    images, _ = aug.sample(300, random_state=0)
    assert images.dtype == np.float32
    assert np.isin(images, np.unique(sixteenths)).all()
    assert len(np.unique(images)) > 5


def test_images_with_many_pixel_values_are_not_put_on_levels():
    X, y = _digits(200)
    rng = np.random.default_rng(0)
    noisy = np.clip(X / 255 + rng.normal(0, 0.02, X.shape), 0, 1).astype(np.float32)
    aug = _small().fit(noisy, y)
    assert aug.model_.levels is None
    images, _ = aug.sample(100, random_state=0)
    assert not np.isin(images, np.unique(noisy)).all()
