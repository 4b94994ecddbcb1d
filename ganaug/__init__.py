"""ganaug: balance labeled datasets with samples from a conditional GAN."""

from ._augmenter import GANAugmenter
from ._version import __version__

__all__ = ["GANAugmenter", "__version__"]
