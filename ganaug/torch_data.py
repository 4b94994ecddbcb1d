"""Outputs for torch training loops: a balanced Dataset and a balanced batch sampler.

:class:`AugmentedDataset` (made by ``GANAugmenter.to_dataset``) holds real plus
synthetic samples and applies a transform when an item is read: an
albumentations transform is called as ``transform(image=hwc_array)["image"]``
(the albumentations convention); any other callable -- a torchvision transform,
a function -- gets a tensor. Which kind a transform is, is read from its class,
so the caller never has to say.

:class:`BalancedBatchSampler` is the torch counterpart of imbalanced-learn's
Keras ``BalancedBatchGenerator``: every batch holds each class equally often,
minority samples repeating as needed. Give it to a ``DataLoader`` as
``batch_sampler``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset, Sampler

from .encoders.image import to_hwc
from .inputs.labels import class_indices

__all__ = ["AugmentedDataset", "BalancedBatchSampler", "is_albumentations", "make_dataset"]


def is_albumentations(transform: Any) -> bool:
    """Whether ``transform`` is an albumentations transform (Compose or single)."""
    return any(
        getattr(cls, "__module__", "").split(".")[0] == "albumentations"
        for cls in type(transform).__mro__
    )


def _hwc_to_tensor(arr: np.ndarray) -> torch.Tensor:
    """(H, W, C) array to a (C, H, W) float tensor; uint8 is scaled to [0, 1]."""
    tensor = torch.from_numpy(np.ascontiguousarray(np.moveaxis(arr, -1, 0)))
    return tensor.float().div_(255) if arr.dtype == np.uint8 else tensor.float()


class AugmentedDataset(Dataset):
    """Real and synthetic samples with their class indices, for a ``DataLoader``.

    Made by :meth:`ganaug.GANAugmenter.to_dataset`; items are ``(x, label_index)``
    where ``label_index`` indexes ``classes``.

    - Images: ``x`` is the transform's output; without a transform, a
      ``(C, H, W)`` float tensor in [0, 1] (uint8 input) or as given (float input).
    - Tables: ``x`` is a 1-D float32 tensor: the columns themselves when all are
      numeric (NaN kept), else the model's encoding (one-hot categories,
      mode-normalized numbers). :meth:`to_frame` gives the rows in the
      caller's own container (DataFrame or ndarray) instead.

    With ``resample_each_epoch=True``, call :meth:`set_epoch` at the start of each
    epoch to draw a new synthetic set (reproducible per epoch). Workers of a
    ``DataLoader`` receive a fresh copy of the dataset each epoch unless
    ``persistent_workers=True``, which would keep the first epoch's samples.

    Attributes
    ----------
    classes : ndarray
        Class labels; ``classes[label_index]`` is a sample's label.
    targets : ndarray of int
        Class index of every item, real ones first (for samplers).
    n_real : int
        Number of real items (the first ones).
    """

    def __init__(
        self,
        augmenter: Any,
        classes: np.ndarray,
        real_X: Any,
        real_y: np.ndarray,
        counts: dict[Any, int],
        transform: Any,
        kind: str,
        features: str,
        resample_each_epoch: bool,
        seed: int,
        encoder: Any = None,
    ) -> None:
        # augmenter: what the synthetic samples are drawn from, by its public
        # ``sample(counts, random_state=seed)``; encoder: the table's encoding, which
        # features="encoded" applies to rows
        self.classes = classes
        self.transform = transform
        self.kind = kind
        self.features = features
        self.resample_each_epoch = resample_each_epoch
        self.seed = seed
        self.counts = counts
        self._albumentations = transform is not None and is_albumentations(transform)
        if self._albumentations and kind == "table":
            raise TypeError(
                "An albumentations transform works on images, but this augmenter models a "
                "table; pass a callable on 1-D tensors, or transform=None."
            )
        # kept only when new samples are drawn later; pickles with the dataset
        self._augmenter = augmenter if resample_each_epoch else None
        self._encoder = encoder if features == "encoded" else None
        self._real_X = real_X
        self._real_idx = class_indices(np.asarray(real_y), self.classes)
        self.n_real = len(self._real_idx)
        self._real_rows = self._table_rows(real_X) if kind == "table" else None
        self.epoch = 0
        self._draw(augmenter)

    # -- synthetic draws -------------------------------------------------------------

    def _epoch_seed(self) -> int:
        sequence = np.random.SeedSequence(self.seed, spawn_key=(self.epoch,))
        return int(sequence.generate_state(1)[0] & 0x7FFFFFFF)

    def _draw(self, augmenter: Any) -> None:
        if sum(self.counts.values()) == 0:
            self._synth_X, synth_y = None, np.zeros(0, dtype=self.classes.dtype)
        else:
            self._synth_X, synth_y = augmenter.sample(self.counts, random_state=self._epoch_seed())
        self._synth_idx = class_indices(np.asarray(synth_y), self.classes)
        self._synth_rows = self._table_rows(self._synth_X) if self.kind == "table" else None
        self.targets = np.concatenate([self._real_idx, self._synth_idx])

    def set_epoch(self, epoch: int) -> None:
        """Draw the synthetic samples of epoch ``epoch`` (with ``resample_each_epoch``)."""
        if not self.resample_each_epoch:
            raise RuntimeError(
                "set_epoch draws new synthetic samples only for a dataset made with "
                "to_dataset(..., resample_each_epoch=True)."
            )
        if int(epoch) != self.epoch:
            self.epoch = int(epoch)
            self._draw(self._augmenter)

    # -- tables ---------------------------------------------------------------------

    def _table_rows(self, X: Any) -> np.ndarray | None:
        if X is None or len(X) == 0:
            return None
        if self.features == "encoded":
            frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
            return self._encoder.transform(frame).astype(np.float32, copy=False)
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
        return frame.to_numpy(dtype=np.float32, na_value=np.nan)

    def to_frame(self) -> tuple[Any, np.ndarray]:
        """All rows and labels as ``fit_resample`` would return them (tables only)."""
        if self.kind != "table":
            raise TypeError("to_frame is for tables; iterate the dataset for images.")
        y_real = self.classes[self._real_idx]
        y_synth = self.classes[self._synth_idx]
        parts = [p for p in (self._real_X, self._synth_X) if p is not None]
        if all(isinstance(p, pd.DataFrame) for p in parts):
            X = pd.concat(parts, axis=0, ignore_index=True)
        else:
            X = np.concatenate([np.asarray(p) for p in parts], axis=0)
        return X, np.concatenate([y_real, y_synth])

    # -- Dataset --------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.targets)

    def _raw_item(self, i: int) -> Any:
        if i < self.n_real:
            if self.kind == "table":
                return self._real_rows[i]
            item = self._real_X[i]
            # a torch Dataset of (image, label) pairs
            return item[0] if isinstance(item, tuple | list) else item
        j = i - self.n_real
        return self._synth_rows[j] if self.kind == "table" else self._synth_X[j]

    def __getitem__(self, i: int) -> tuple[Any, int]:
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"index {i} out of range for a dataset of {len(self)} items")
        raw = self._raw_item(i)
        label = int(self.targets[i])
        if self.kind == "table":
            x = torch.from_numpy(np.array(raw, dtype=np.float32))
            return (self.transform(x) if self.transform is not None else x), label
        image = to_hwc(raw)
        if self._albumentations:
            out = self.transform(image=image)["image"]
            return (out if isinstance(out, torch.Tensor) else _hwc_to_tensor(out)), label
        x = _hwc_to_tensor(image)
        return (self.transform(x) if self.transform is not None else x), label


def _dataset_labels(data: Any) -> np.ndarray:
    targets = getattr(data, "targets", None)
    if targets is not None:
        return np.asarray(targets)
    return np.asarray([int(item[1]) for item in data])


def check_dataset_options(transform: Any, features: str) -> None:
    """Raise on a ``transform`` or ``features`` that ``to_dataset`` cannot use.

    Called before the augmenter fits, so that bad options fail before training.
    """
    if transform is not None and not callable(transform):
        raise TypeError(
            f"transform must be callable (an albumentations Compose, a torchvision "
            f"transform or a function), got {type(transform).__qualname__}."
        )
    if features not in ("auto", "raw", "encoded"):
        raise ValueError(f"features must be 'auto', 'raw' or 'encoded', got {features!r}.")


def make_dataset(
    augmenter: Any,
    X: Any,
    y: Any,
    *,
    classes: np.ndarray,
    counts: dict[Any, int],
    seed: int,
    encoder: Any = None,
    transform: Any = None,
    synthetic_only: bool = False,
    resample_each_epoch: bool = False,
    features: str = "auto",
) -> AugmentedDataset:
    """Build the dataset behind ``GANAugmenter.to_dataset`` from a fitted augmenter's values.

    Parameters
    ----------
    augmenter : object
        What the synthetic samples are drawn from, by its ``sample`` method.
    X, y : real data and labels
        As given to ``to_dataset``; ``y`` may be None for a torch ``Dataset``.
    classes : ndarray
        The fitted classes, sorted.
    counts : dict
        Synthetic samples per class.
    seed : int
        Seed of the synthetic draw (of epoch 0 with ``resample_each_epoch``).
    encoder : TabularEncoder, optional
        A table's encoding (None for images): ``features="auto"`` gives the raw
        values when every column is numeric, else the encoding.
    transform, synthetic_only, resample_each_epoch, features
        As for ``to_dataset`` (checked by :func:`check_dataset_options`).
    """
    if y is None and isinstance(X, Dataset):
        y = _dataset_labels(X)
    y_arr = np.asarray(y)
    kind = "image" if encoder is None else "table"
    if kind == "table":
        all_numeric = all(c.kind == "continuous" for c in encoder.columns_)
        if features == "auto":
            features = "raw" if all_numeric else "encoded"
        if features == "raw" and not all_numeric:
            raise ValueError(
                "features='raw' needs all-numeric columns; this table has categorical ones. "
                "Use features='encoded', or dataset.to_frame() for the rows themselves."
            )
    if len(y_arr) != len(X):
        raise ValueError(f"X has {len(X)} samples but y has {len(y_arr)} labels.")
    if synthetic_only:
        real_X, real_y = (X[:0] if not isinstance(X, Dataset) else []), y_arr[:0]
        if kind == "table" and not isinstance(X, pd.DataFrame):
            real_X = np.asarray(X)[:0]
    else:
        real_X, real_y = X, y_arr
    return AugmentedDataset(
        augmenter,
        classes,
        real_X,
        real_y,
        counts,
        transform,
        kind,
        features,
        resample_each_epoch,
        seed,
        encoder,
    )


class BalancedBatchSampler(Sampler[list[int]]):
    """Batches of indices in which every class is equally represented.

    The torch counterpart of imbalanced-learn's ``BalancedBatchGenerator``: each
    batch holds ``batch_size // n_classes`` samples of every class (the remainder
    goes to classes picked at random). Each class's indices are drawn in
    reshuffled passes, so minority samples repeat and majority samples are all
    seen before any repeats. Pass it to ``DataLoader(dataset, batch_sampler=...)``.

    Parameters
    ----------
    labels : array-like of shape (n_samples,) or Dataset
        The class of each item; a Dataset with a ``targets`` attribute (such as
        the one ``to_dataset`` makes or torchvision's ``ImageFolder``) works too.
    batch_size : int
        Items per batch; at least the number of classes.
    n_batches : int, optional
        Batches per epoch. By default enough for the largest class's samples
        to be seen once: ``ceil(n_largest * n_classes / batch_size)``.
    random_state : int, optional
        Seed; epoch ``k`` of the sampler (its ``k``-th iteration, or
        ``set_epoch(k)``) is then reproducible.

    Examples
    --------
    >>> import numpy as np
    >>> from ganaug import BalancedBatchSampler
    >>> labels = np.array([0] * 90 + [1] * 10)
    >>> sampler = BalancedBatchSampler(labels, batch_size=10, random_state=0)
    >>> len(sampler)
    18
    >>> batch = next(iter(sampler))
    >>> np.bincount(labels[batch]).tolist()
    [5, 5]
    """

    def __init__(
        self,
        labels: Any,
        batch_size: int,
        *,
        n_batches: int | None = None,
        random_state: int | None = None,
    ) -> None:
        if isinstance(labels, Dataset):
            labels = _dataset_labels(labels)
        labels = np.asarray(labels)
        if labels.ndim != 1 or len(labels) == 0:
            raise ValueError(f"labels must be a non-empty 1-D array, got shape {labels.shape}.")
        self.classes, self.labels = np.unique(labels, return_inverse=True)
        n_classes = len(self.classes)
        if not isinstance(batch_size, int | np.integer) or batch_size < n_classes:
            raise ValueError(
                f"batch_size must be an int of at least the number of classes ({n_classes}), "
                f"got {batch_size!r}."
            )
        self.batch_size = int(batch_size)
        self.by_class = [np.flatnonzero(self.labels == k) for k in range(n_classes)]
        largest = max(len(ix) for ix in self.by_class)
        self.n_batches = (
            int(n_batches)
            if n_batches is not None
            else int(np.ceil(largest * n_classes / self.batch_size))
        )
        if self.n_batches < 1:
            raise ValueError(f"n_batches must be at least 1, got {n_batches!r}.")
        self.random_state = random_state
        self.epoch = 0
        self._explicit_epoch = False

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration epoch ``epoch`` (as ``DistributedSampler`` does)."""
        self.epoch = int(epoch)
        self._explicit_epoch = True

    def __len__(self) -> int:
        return self.n_batches

    def __iter__(self) -> Iterator[list[int]]:
        entropy = self.random_state if self.random_state is not None else None
        rng = np.random.default_rng(
            np.random.SeedSequence(entropy, spawn_key=(self.epoch,))
            if entropy is not None
            else None
        )
        if not self._explicit_epoch:
            self.epoch += 1
        self._explicit_epoch = False
        n_classes = len(self.by_class)
        per_batch = np.full((self.n_batches, n_classes), self.batch_size // n_classes)
        extra = self.batch_size % n_classes
        for row in per_batch:
            row[rng.choice(n_classes, extra, replace=False)] += 1
        streams = [
            _reshuffled_stream(ix, int(per_batch[:, k].sum()), rng)
            for k, ix in enumerate(self.by_class)
        ]
        offsets = np.zeros(n_classes, dtype=np.int64)
        for row in per_batch:
            batch: list[int] = []
            for k in range(n_classes):
                batch.extend(streams[k][offsets[k] : offsets[k] + row[k]].tolist())
                offsets[k] += row[k]
            order = rng.permutation(len(batch))
            yield [batch[i] for i in order]


def _reshuffled_stream(indices: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` indices: whole shuffled passes over ``indices``, then part of one more."""
    passes = -(-n // len(indices))
    return np.concatenate([rng.permutation(indices) for _ in range(passes)])[:n]
