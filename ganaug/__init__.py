"""ganaug: balance labeled datasets with samples from a conditional GAN."""

from ._augmenter import GANAugmenter
from ._version import __version__
from .torch_data import BalancedBatchSampler

__all__ = ["BalancedBatchSampler", "GANAugmenter", "__version__"]
