"""to_dataset and BalancedBatchSampler: torch outputs of a fitted augmenter."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader

from ganaug import BalancedBatchSampler, GANAugmenter
from ganaug.torch_data import AugmentedDataset, is_albumentations

TINY = {"max_steps": 1, "hidden_units": (8,), "latent_dim": 4, "n_critic": 1}


def _table() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y = np.array(["a"] * 40 + ["b"] * 10)
    return X, y


@pytest.fixture(scope="module")
def table_aug() -> GANAugmenter:
    X, y = _table()
    return GANAugmenter(random_state=0, **TINY).fit(X, y)


def _times_two(x: torch.Tensor) -> torch.Tensor:
    return x * 2


def test_table_dataset_is_balanced_and_keeps_real_rows(table_aug):
    X, y = _table()
    ds = table_aug.to_dataset(X, y, random_state=0)
    assert isinstance(ds, AugmentedDataset)
    assert len(ds) == 80 and ds.n_real == 50
    assert np.bincount(ds.targets).tolist() == [40, 40]
    x0, label0 = ds[0]
    assert x0.dtype == torch.float32 and label0 == 0
    torch.testing.assert_close(x0, torch.tensor(X[0], dtype=torch.float32))
    assert list(ds.classes) == ["a", "b"]
    assert ds[-1][1] == 1  # synthetic rows come after the real ones


def test_synthetic_only(table_aug):
    X, y = _table()
    ds = table_aug.to_dataset(X, y, synthetic_only=True, random_state=0)
    assert len(ds) == 30 and ds.n_real == 0
    assert set(ds.targets.tolist()) == {1}


def test_dataloader_with_two_workers_and_a_transform(table_aug):
    X, y = _table()
    ds = table_aug.to_dataset(X, y, transform=_times_two, random_state=0)
    pickle.loads(pickle.dumps(ds))
    loader = DataLoader(ds, batch_size=16, num_workers=2)
    xs, ys = zip(*loader)
    xs, ys = torch.cat(xs), torch.cat(ys)
    assert len(xs) == 80
    assert torch.bincount(ys).tolist() == [40, 40]
    torch.testing.assert_close(xs[:50], torch.tensor(X, dtype=torch.float32) * 2)


def test_resample_each_epoch_draws_new_reproducible_samples(table_aug):
    X, y = _table()
    ds = table_aug.to_dataset(X, y, resample_each_epoch=True, random_state=5)
    first = ds[60][0].clone()
    ds.set_epoch(1)
    assert not torch.equal(ds[60][0], first)
    torch.testing.assert_close(ds[0][0], torch.tensor(X[0], dtype=torch.float32))
    ds.set_epoch(0)
    assert torch.equal(ds[60][0], first)
    fixed = table_aug.to_dataset(X, y, random_state=5)
    with pytest.raises(RuntimeError, match="resample_each_epoch=True"):
        fixed.set_epoch(1)


def test_dataframe_path_encodes_categories_and_returns_frames():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"v": rng.normal(size=40), "color": rng.choice(["r", "g"], size=40)})
    y = np.array([0] * 30 + [1] * 10)
    aug = GANAugmenter(random_state=0, **TINY)
    ds = aug.to_dataset(X, y, random_state=0)  # fits first
    assert hasattr(aug, "model_")
    assert ds.features == "encoded"
    assert ds[0][0].shape == (aug.model_.encoder.n_encoded_,)
    frame, labels = ds.to_frame()
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == ["v", "color"]
    assert len(frame) == 60 and np.bincount(labels).tolist() == [30, 30]
    pd.testing.assert_frame_equal(frame.iloc[:40], X)
    with pytest.raises(ValueError, match="features='raw' needs all-numeric"):
        aug.to_dataset(X, y, features="raw")


def test_bad_options_fail_before_training():
    X, y = _table()
    aug = GANAugmenter(random_state=0, **TINY)
    with pytest.raises(TypeError, match="transform must be callable"):
        aug.to_dataset(X, y, transform="flip")
    with pytest.raises(ValueError, match="features must be"):
        aug.to_dataset(X, y, features="pixels")
    assert not hasattr(aug, "model_")


def test_albumentations_on_a_table_is_refused(table_aug):
    A = pytest.importorskip("albumentations")
    X, y = _table()
    transform = A.Compose([A.HorizontalFlip(p=1.0)])
    assert is_albumentations(transform) and not is_albumentations(_times_two)
    with pytest.raises(TypeError, match="albumentations transform works on images"):
        table_aug.to_dataset(X, y, transform=transform)
    with pytest.raises(TypeError, match="transform must be callable"):
        table_aug.to_dataset(X, y, transform="flip")


# -- images ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def image_aug() -> GANAugmenter:
    X, y = _images()
    return GANAugmenter(model="image", random_state=0, max_steps=1, batch_size=8).fit(X, y)


def _images() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(24, 16, 16, 3), dtype=np.uint8)
    y = np.array([0] * 18 + [1] * 6)
    return X, y


def test_image_dataset_with_albumentations_and_two_workers(image_aug):
    A = pytest.importorskip("albumentations")
    X, y = _images()
    aug = image_aug
    transform = A.Compose([A.HorizontalFlip(p=1.0), A.Normalize(mean=0.0, std=1.0)])
    ds = aug.to_dataset(X, y, transform=transform, random_state=0)
    assert len(ds) == 36
    x0, _ = ds[0]
    # channels-first tensor of the flipped, normalized (x / 255) real image
    expected = torch.from_numpy(X[0][:, ::-1].copy()).permute(2, 0, 1).float() / 255
    torch.testing.assert_close(x0, expected)
    loader = DataLoader(ds, batch_size=8, num_workers=2)
    batches = list(loader)
    images = torch.cat([b[0] for b in batches])
    labels = torch.cat([b[1] for b in batches])
    assert images.shape == (36, 3, 16, 16)
    assert torch.bincount(labels).tolist() == [18, 18]


def test_image_dataset_with_a_tensor_transform(image_aug):
    X, y = _images()
    aug = image_aug
    ds = aug.to_dataset(X, y, transform=lambda t: t.flip(-1), synthetic_only=True)
    x, label = ds[0]
    assert x.shape == (3, 16, 16) and label == 1
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0


# -- BalancedBatchSampler ---------------------------------------------------------------


def test_balanced_batches_hold_every_class_equally():
    labels = np.array([0] * 90 + [1] * 10 + [2] * 20)
    sampler = BalancedBatchSampler(labels, batch_size=12, random_state=0)
    assert len(sampler) == 23  # ceil(90 * 3 / 12)
    batches = list(sampler)
    assert len(batches) == 23
    for batch in batches:
        assert np.bincount(labels[batch], minlength=3).tolist() == [4, 4, 4]
    seen = np.concatenate(batches)
    # every majority sample is seen once per epoch; minority samples repeat
    assert set(seen[labels[seen] == 0].tolist()) == set(range(90))
    assert set(seen[labels[seen] == 1].tolist()) == set(range(90, 100))


def test_balanced_batches_remainder_and_epochs():
    labels = ["x"] * 30 + ["y"] * 5
    sampler = BalancedBatchSampler(labels, batch_size=7, n_batches=40, random_state=1)
    counts = np.zeros(2, dtype=int)
    first = list(sampler)
    for batch in first:
        c = np.bincount(np.asarray(labels)[batch] == "y", minlength=2)
        assert len(batch) == 7 and sorted(c.tolist()) == [3, 4]
        counts += c
    assert abs(counts[0] - counts[1]) <= 40
    second = list(sampler)
    assert first != second  # a new epoch, new batches
    sampler.set_epoch(0)
    assert list(sampler) == first  # epoch 0 again, reproducibly


def test_balanced_sampler_with_a_dataset_and_a_dataloader(table_aug):
    X, y = _table()
    ds = table_aug.to_dataset(X, y, synthetic_only=False, random_state=0)
    real_only = np.array([0] * 40 + [1] * 10)
    sampler = BalancedBatchSampler(real_only, batch_size=10, random_state=0)
    loader = DataLoader(torch.utils.data.Subset(ds, range(50)), batch_sampler=sampler)
    for _, labels in loader:
        assert torch.bincount(labels, minlength=2).tolist() == [5, 5]
    from_dataset = BalancedBatchSampler(ds, batch_size=4, random_state=0)
    assert len(from_dataset) == 20


def test_balanced_sampler_rejects_bad_input():
    with pytest.raises(ValueError, match="at least the number of classes"):
        BalancedBatchSampler([0, 1, 2], batch_size=2)
    with pytest.raises(ValueError, match="non-empty 1-D"):
        BalancedBatchSampler([], batch_size=2)
