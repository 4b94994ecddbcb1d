"""Class-balanced minibatches for the trainer, from tensors in memory or a Dataset.

One draw for both: each row of a batch first picks a class uniformly, then a
row of that class uniformly (with replacement), from the trainer's random
generator, so that a minority class is seen as often as the majority one and a
seed gives the same rows whether the images sit in memory or in a Dataset.
"""

from __future__ import annotations

import numpy as np
import torch

from ..encoders.image import DatasetImages, ImageResizer

__all__ = ["BalancedBatches"]


class BalancedBatches:
    """Class-balanced minibatches from in-memory tensors or a Dataset.

    A callable batch source of :meth:`ganaug.training.trainer.GANTrainer.train`:
    ``batches(generator)`` returns an ``(x, y)`` batch on the training device.

    Parameters
    ----------
    data : Tensor of shape (n, ...) or DatasetImages
        Real samples: a tensor already on the training device and in model
        space, or a Dataset whose drawn rows are loaded batch by batch.
    labels : Tensor or ndarray of shape (n,)
        Class indices in ``[0, n_classes)``; every class must occur.
    batch_size : int
        Rows per batch.
    resizer : ImageResizer, optional
        With a Dataset: brings the loaded images to the networks' size.
    device : torch.device, optional
        With a Dataset: the training device (a tensor's own device otherwise).

    Attributes
    ----------
    data, labels
        As given; the trainer's collapse check measures tensors directly.
    order, starts, counts : Tensor
        The rows sorted by class, and where each class starts and how many
        rows it has in ``order``: next to the data in memory, on the CPU for a
        Dataset (whose rows are loaded from the CPU).
    """

    def __init__(
        self,
        data: torch.Tensor | DatasetImages,
        labels: torch.Tensor | np.ndarray,
        batch_size: int,
        resizer: ImageResizer | None = None,
        device: torch.device | None = None,
    ) -> None:
        in_memory = isinstance(data, torch.Tensor)
        if not in_memory and (resizer is None or device is None):
            raise ValueError("Batches from a Dataset need its resizer and the training device.")
        self.data = data
        self.labels = labels
        self.batch_size = batch_size
        self.resizer = resizer
        self.device = data.device if in_memory else device
        rows_at = data.device if in_memory else torch.device("cpu")
        cpu_labels = torch.as_tensor(labels).cpu()
        counts = torch.bincount(cpu_labels)
        self.order = torch.argsort(cpu_labels, stable=True).to(rows_at)
        self.starts = (torch.cumsum(counts, 0) - counts).to(rows_at)
        self.counts = counts.to(rows_at)

    def __call__(self, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """A batch ``(x, y)``: samples and their classes, drawn with ``generator``."""
        n_classes = len(self.counts)
        y = torch.randint(n_classes, (self.batch_size,), generator=generator, device=self.device)
        u = torch.rand(self.batch_size, generator=generator, device=self.device)
        k, u = y.to(self.counts.device), u.to(self.counts.device)
        # float32 on either device: the same rows for the same draws
        within = (u * self.counts[k]).long().clamp_max(self.counts[k] - 1)
        rows = self.order[self.starts[k] + within]
        if isinstance(self.data, torch.Tensor):
            return self.data[rows], y
        x = self.resizer.to_model(self.data.load(rows.numpy())).to(self.device)
        return x, y
