import os

# albumentations 2.0.8 checks the network for updates on import; CI has no network.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402


def _check_table_domain(model, y, frame: pd.DataFrame) -> None:
    """Every synthetic value is finite and inside what the encoder learned at fit."""
    assert len(frame) == len(y)
    for info in model.encoder.columns_:
        col = frame[info.name]
        missing = col.isna().to_numpy()
        assert info.has_nan or not missing.any(), f"NaN in {info.name!r}, which had none"
        present = col[~missing]
        if info.kind == "categorical":
            seen = {str(c) for c in info.categories}
            bad = [v for v in present.astype(object).tolist() if str(v) not in seen]
            assert not bad, f"unknown categories {bad[:3]} in {info.name!r}"
            continue
        values = pd.to_numeric(present).to_numpy(dtype=np.float64)
        assert np.isfinite(values).all(), f"non-finite values in {info.name!r}"
        if len(values):
            assert values.min() >= info.lower and values.max() <= info.upper, info.name
            if info.is_integer:
                assert (values == np.round(values)).all(), f"non-integers in {info.name!r}"


@pytest.fixture(autouse=True)
def _synthetic_output_in_domain(monkeypatch):
    """Check every synthetic table and image any test draws (a cheap O(n) pass).

    Synthetic output must never hold inf, NaN outside NaN-holding columns, unseen
    categories or values outside the observed range; this holds over the whole suite.
    """
    from ganaug.models import image, tabular

    generate = tabular.TabularGAN.generate

    def checked(self, y, rng):
        frame = generate(self, y, rng)
        _check_table_domain(self, y, frame)
        return frame

    monkeypatch.setattr(tabular.TabularGAN, "generate", checked)
    generate_images = image.ImageGAN.generate

    def checked_images(self, y, rng, truncation=None):
        images = generate_images(self, y, rng, truncation)
        assert bool(images.isfinite().all()), "non-finite synthetic pixels"
        return images

    monkeypatch.setattr(image.ImageGAN, "generate", checked_images)
    yield
