"""An image folder to a balanced torch DataLoader, with albumentations.

Writes a small imbalanced folder of digit images (scikit-learn's 8x8 digits,
upscaled) as ``digits/<class>/*.png``, reads it, trains a conditional GAN, and
iterates a DataLoader of real plus synthetic images with an albumentations
pipeline; new synthetic images are drawn every epoch.

    pip install ganaug[albumentations]
    python examples/image_folder_dataloader.py
"""

import os
import tempfile
from pathlib import Path

import albumentations as A
import numpy as np
import torch
from PIL import Image
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader

from ganaug import GANAugmenter

MAX_STEPS = int(os.environ.get("MAX_STEPS", 300))


def write_example_folder(root: Path) -> None:
    """digits/<class>/*.png with classes 0, 1 and 2; class 2 is rare."""
    digits = load_digits()
    for label, n in [(0, 120), (1, 120), (2, 15)]:
        (root / str(label)).mkdir(parents=True, exist_ok=True)
        images = digits.images[digits.target == label][:n]
        for i, image in enumerate(images):
            pixels = (image / 16 * 255).astype(np.uint8)
            Image.fromarray(pixels).resize((16, 16)).save(root / str(label) / f"{i}.png")


def read_folder(root: Path) -> tuple[np.ndarray, np.ndarray]:
    """All images of root/<class>/*.png as one (N, H, W) uint8 array, and their labels."""
    images, labels = [], []
    for class_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(class_dir.glob("*.png")):
            images.append(np.asarray(Image.open(path).convert("L")))
            labels.append(class_dir.name)
    return np.stack(images), np.array(labels)


if __name__ == "__main__":  # DataLoader workers re-import this file
    root = Path(tempfile.mkdtemp()) / "digits"
    write_example_folder(root)
    X, y = read_folder(root)
    labels, counts = np.unique(y, return_counts=True)
    per_class = dict(zip(labels.tolist(), counts.tolist()))
    print(f"{len(X)} images of {X.shape[1:]}; per class {per_class}")

    augmenter = GANAugmenter(model="image", max_steps=MAX_STEPS, random_state=0, verbose=1)
    # albumentations is detected from the transform's class: it is called as
    # transform(image=hwc_uint8)["image"]; ToTensorV2 would give channels-first tensors too.
    transform = A.Compose([A.Affine(translate_px=(-1, 1), p=0.5), A.Normalize(mean=0.5, std=0.5)])
    dataset = augmenter.to_dataset(X, y, transform=transform, resample_each_epoch=True)
    loader = DataLoader(dataset, batch_size=64, shuffle=True, num_workers=2)
    for epoch in range(2):
        dataset.set_epoch(epoch)  # fresh synthetic images for this epoch
        counts = torch.zeros(len(dataset.classes), dtype=torch.long)
        for images, labels in loader:
            counts += torch.bincount(labels, minlength=len(dataset.classes))
            shape = tuple(images.shape[1:])  # a training step would go here
        print(f"epoch {epoch}: images of {shape}, per class {counts.tolist()}")
