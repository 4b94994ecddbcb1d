"""Class-balanced minibatches for the trainer: from tensors in memory or a Dataset."""

from __future__ import annotations

import numpy as np
import torch

from ..encoders.image import DatasetImages, ImageResizer

__all__ = ["BalancedBatches", "DatasetBatches"]


class BalancedBatches:
    """Class-balanced minibatches from in-memory tensors.

    Each row of a batch first draws a class uniformly, then a row of that class
    uniformly, so that a minority class is seen as often as the majority one.

    Parameters
    ----------
    data : Tensor of shape (n, ...)
        Real samples, already on the training device.
    labels : Tensor of shape (n,)
        Class indices in ``[0, n_classes)``; every class must occur.
    batch_size : int
        Rows per batch.
    """

    def __init__(self, data: torch.Tensor, labels: torch.Tensor, batch_size: int) -> None:
        order = torch.argsort(labels.cpu(), stable=True)
        counts = torch.bincount(labels.cpu())
        self.data = data
        self.labels = labels
        self.order = order.to(data.device)
        self.starts = (torch.cumsum(counts, 0) - counts).to(data.device)
        self.counts = counts.to(data.device)
        self.batch_size = batch_size

    def __call__(self, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        device = self.data.device
        n_classes = len(self.counts)
        y = torch.randint(n_classes, (self.batch_size,), generator=generator, device=device)
        u = torch.rand(self.batch_size, generator=generator, device=device)
        within = (u * self.counts[y]).long().clamp_max(self.counts[y] - 1)
        rows = self.order[self.starts[y] + within]
        return self.data[rows], y


class DatasetBatches:
    """Class-balanced batches streamed from a Dataset, resized for the networks."""

    def __init__(
        self,
        stream: DatasetImages,
        y: np.ndarray,
        batch_size: int,
        resizer: ImageResizer,
        device: torch.device,
    ) -> None:
        self.stream = stream
        self.order = np.argsort(y, kind="stable")
        self.counts = np.bincount(y)
        self.starts = np.cumsum(self.counts) - self.counts
        self.batch_size = batch_size
        self.resizer = resizer
        self.device = device

    def __call__(self, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        n_classes = len(self.counts)
        y = torch.randint(n_classes, (self.batch_size,), generator=generator, device=self.device)
        u = torch.rand(self.batch_size, generator=generator, device=self.device)
        y_np = y.cpu().numpy()
        within = np.minimum(
            (u.cpu().numpy() * self.counts[y_np]).astype(np.int64), self.counts[y_np] - 1
        )
        rows = self.order[self.starts[y_np] + within]
        x = self.resizer.to_model(self.stream.load(rows)).to(self.device)
        return x, y
