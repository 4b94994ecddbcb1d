"""A fit from a torch Dataset streams it: bounded reads, never the whole dataset at once.

``benchmarks/memory.py`` measures the peak memory itself (50,000 against 5,000
images on disk); these tests catch the regressions that would make it grow with
the dataset, without timing anything.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from ganaug import GANAugmenter


class _CountingImages(Dataset):
    """8x8 grayscale (image, label) pairs that count how often each item is read."""

    def __init__(self, n: int = 600) -> None:
        rng = np.random.default_rng(0)
        self.labels = np.r_[
            np.zeros(n - 2 * (n // 5), int), np.ones(n // 5, int), np.full(n // 5, 2)
        ]
        self.images = rng.integers(0, 256, (n, 1, 8, 8), dtype=np.uint8)
        self.reads = np.zeros(n, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        self.reads[i] += 1
        return torch.as_tensor(self.images[i]), int(self.labels[i])


def _fit(data: Dataset, **kw) -> GANAugmenter:
    params = {"max_steps": 2, "batch_size": 8, "n_jobs": 1, "random_state": 0}
    return GANAugmenter(**{**params, **kw}).fit(data, None)


def test_a_dataset_fit_never_stacks_the_whole_dataset(monkeypatch):
    import ganaug.encoders.image as encoders

    largest = []
    stack = encoders._stack_items

    def recording(images):
        largest.append(len(images))
        return stack(images)

    monkeypatch.setattr(encoders, "_stack_items", recording)
    data = _CountingImages(600)
    _fit(data)
    assert largest and max(largest) <= 256 < len(data)
    # the quality gate's classifier and the truncation's read a bounded sample
    # (500 images per class), 256 at a time
    largest.clear()
    data = _CountingImages(2000)
    _fit(data, filter_samples=True)
    assert max(largest) <= 256 < len(data)


def test_a_dataset_fit_reads_each_image_a_bounded_number_of_times(monkeypatch):
    import ganaug.models.image_fit as image_model

    # the mean and intensity passes read a bounded sample per class, not every image
    # again; a truncation="auto" classifier would read at most 500 per class (here 200)
    monkeypatch.setattr(image_model, "_MEAN_IMAGES_PER_CLASS", 50)
    data = _CountingImages(600)
    aug = _fit(data)
    n_classes = 3
    training_reads = aug.n_steps_ * 8 * 2  # batches of 8, a critic and a generator step at most
    passes = 2 * 50 * n_classes + 200 * n_classes
    assert data.reads.sum() <= len(data) + passes + training_reads
    assert data.reads.min() >= 1  # every label (and image) was checked once
    assert data.reads.max() <= 4 + training_reads


def test_mean_matching_reads_every_image_of_small_classes_and_a_sample_of_large_ones(
    monkeypatch,
):
    import ganaug.models.image_fit as image_model
    from ganaug.encoders.image import DatasetImages
    from ganaug.inputs.images import CheckedImages

    data = _CountingImages(120)
    stream = DatasetImages(data)
    checked = CheckedImages(None, stream, data, stream.info)
    y_idx = data.labels
    seen = torch.cat([y for _, y in image_model._real_batches(checked, y_idx, seed=0)])
    assert torch.bincount(seen).tolist() == np.bincount(y_idx).tolist()
    monkeypatch.setattr(image_model, "_MEAN_IMAGES_PER_CLASS", 10)
    seen = torch.cat([y for _, y in image_model._real_batches(checked, y_idx, seed=0)])
    assert torch.bincount(seen).tolist() == [10, 10, 10]
    # images in memory: all of them, in order, whatever the cap
    images = torch.zeros(len(y_idx), 1, 8, 8)
    in_memory = CheckedImages(images, None, images, stream.info)
    batches = list(image_model._real_batches(in_memory, y_idx, seed=0))
    assert torch.equal(torch.cat([y for _, y in batches]), torch.as_tensor(y_idx))
    assert sum(len(x) for x, _ in batches) == len(y_idx)
