"""device="cuda": fit, sample, mixed precision, the quality gate, save/load across devices.

Tests marked ``cuda`` need a CUDA GPU and are skipped without one
(``pytest -m cuda tests/test_cuda.py`` runs them on a GPU machine). The tests
at the end run everywhere: they simulate a file saved on a GPU and loaded on
a machine without CUDA.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch.utils.data import DataLoader, Dataset

from ganaug import GANAugmenter

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _images(n_major: int = 60, n_minor: int = 15, side: int = 28, channels: int = 0):
    rng = np.random.default_rng(0)
    shape = (n_major + n_minor, side, side) + ((channels,) if channels else ())
    X = rng.integers(0, 256, shape, dtype=np.uint8)
    X[n_major:, : side // 2] //= 4
    return X, np.r_[np.zeros(n_major, int), np.full(n_minor, 5)]


def _table():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4)).astype(np.float32)
    y = np.r_[np.zeros(100, int), np.ones(20, int)]
    X[y == 1] += 2.0
    return X, y


def _image_aug(**kw) -> GANAugmenter:
    params = {"max_steps": 5, "batch_size": 16, "random_state": 0, "device": "cuda"}
    return GANAugmenter(**{**params, **kw})


def _table_aug(**kw) -> GANAugmenter:
    params = {"max_steps": 5, "hidden_units": (16,), "random_state": 0, "device": "cuda"}
    return GANAugmenter(**{**params, **kw})


class _Pairs(Dataset):
    def __init__(self, images, labels):
        self.images, self.labels = images, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return torch.as_tensor(self.images[i]).unsqueeze(0), int(self.labels[i])


# -- on a GPU -----------------------------------------------------------------------------


@pytest.mark.cuda
@needs_cuda
@pytest.mark.parametrize("mixed_precision", [True, False, "auto"])
def test_image_fit_resample_and_sample_on_cuda(mixed_precision):
    X, y = _images()
    aug = _image_aug(mixed_precision=mixed_precision)
    X_res, y_res = aug.fit_resample(X, y)
    assert aug.device_.type == "cuda"
    expected = "off" if mixed_precision is False else ("bf16", "fp16")
    assert aug.model_.trainer.precision in expected
    assert np.bincount(y_res).tolist()[::5] == [60, 60]
    assert X_res.dtype == np.uint8 and X_res.shape == (120, 28, 28)
    assert np.array_equal(X_res[:75], X)
    X_new, y_new = aug.sample({0: 7, 5: 9})
    assert X_new.shape == (16, 28, 28) and np.bincount(y_new).tolist()[::5] == [7, 9]
    floats = _image_aug(mixed_precision=mixed_precision).fit(X.astype(np.float32) / 255, y)
    X_f, _ = floats.sample(10, y=5)
    assert X_f.dtype == np.float32 and np.isfinite(X_f).all()
    assert all(np.isfinite(v) for h in aug.history_ for v in h.values())
    for p in aug.model_.trainer.ema.parameters():
        assert p.dtype == torch.float32 and p.device.type == "cuda"


@pytest.mark.cuda
@needs_cuda
def test_rgb_64x64_trains_under_mixed_precision_on_cuda():
    X, y = _images(40, 10, side=64, channels=3)
    aug = _image_aug(mixed_precision=True, max_steps=3)
    X_res, y_res = aug.fit_resample(X, y)
    assert X_res.shape == (80, 64, 64, 3) and np.bincount(y_res).tolist()[::5] == [40, 40]


@pytest.mark.cuda
@needs_cuda
def test_cuda_tensor_images_come_back_on_cuda():
    X, y = _images()
    X_t = torch.as_tensor(X, device="cuda")
    aug = _image_aug()
    X_res, y_res = aug.fit_resample(X_t, y)
    assert isinstance(X_res, torch.Tensor) and X_res.device.type == "cuda"
    assert X_res.dtype == torch.uint8 and len(X_res) == len(y_res) == 120


@pytest.mark.cuda
@needs_cuda
def test_wgan_gp_with_classifier_under_mixed_precision_on_cuda():
    X, y = _images()
    aug = _image_aug(loss="wgan-gp", aux_weight=0.5, mixed_precision=True)
    _, y_res = aug.fit_resample(X, y)
    assert np.bincount(y_res).tolist()[::5] == [60, 60]
    assert all(np.isfinite(h["gp"]) for h in aug.history_)


@pytest.mark.cuda
@needs_cuda
def test_fp16_with_loss_scaler_on_cuda(monkeypatch):
    """The path of a GPU without bf16, forced on this one."""
    import ganaug.models.image as image_model

    monkeypatch.setattr(image_model, "resolve_precision", lambda setting, device: "fp16")
    X, y = _images()
    aug = _image_aug(loss="wgan-gp", aux_weight=0.5, max_steps=10)
    _, y_res = aug.fit_resample(X, y)
    trainer = aug.model_.trainer
    assert trainer.precision == "fp16" and len(trainer._scalers) == 3
    assert np.bincount(y_res).tolist()[::5] == [60, 60]
    assert all(np.isfinite(v) for h in aug.history_ for v in h.values())


@pytest.mark.cuda
@needs_cuda
def test_table_fit_resample_and_sample_on_cuda():
    X, y = _table()
    aug = _table_aug(mixed_precision=True)
    X_res, y_res = aug.fit_resample(X, y)
    assert aug.device_.type == "cuda" and aug.model_.trainer.precision == "off"
    assert np.bincount(y_res).tolist() == [100, 100]
    assert X_res.dtype == np.float32 and np.isfinite(X_res).all()
    X_new, y_new = aug.sample(12, y=1)
    assert X_new.shape == (12, 4) and (y_new == 1).all()


@pytest.mark.cuda
@needs_cuda
@pytest.mark.parametrize("kind", ["image", "table"])
def test_filter_samples_on_cuda(kind):
    X, y = _images() if kind == "image" else _table()
    make = _image_aug if kind == "image" else _table_aug
    aug = make(filter_samples=True, max_steps=20)
    with warnings.catch_warnings():
        # a short fit may leave a class short of accepted samples: that warning is allowed
        warnings.simplefilter("ignore", UserWarning)
        X_res, y_res = aug.fit_resample(X, y)
    assert set(aug.rejection_rate_) == set(np.unique(y).tolist())
    assert len(X_res) == len(y_res)
    report = aug.quality_report(X, y)
    assert list(report.index) == sorted(set(y.tolist()))


@pytest.mark.cuda
@needs_cuda
def test_dataset_input_on_cuda():
    X, y = _images()
    aug = _image_aug().fit(_Pairs(X, y), None)
    X_new, y_new = aug.sample(4, y=5)
    assert isinstance(X_new, torch.Tensor) and tuple(X_new.shape) == (4, 1, 28, 28)
    assert X_new.device.type == "cpu"  # the dataset's items were CPU tensors


class _CudaPairs(_Pairs):
    def __getitem__(self, i):
        image, label = super().__getitem__(i)
        return image.cuda(), label


@pytest.mark.cuda
@needs_cuda
def test_dataset_of_cuda_tensors_on_cuda():
    X, y = _images()
    aug = _image_aug().fit(_CudaPairs(X, y), None)
    X_new, _ = aug.sample(4, y=5)
    assert X_new.device.type == "cuda" and tuple(X_new.shape) == (4, 1, 28, 28)


@pytest.mark.cuda
@needs_cuda
@pytest.mark.parametrize("kind", ["image", "table"])
def test_saved_on_cuda_loads_on_cpu_and_on_cuda(kind, tmp_path):
    X, y = _images() if kind == "image" else _table()
    aug = (_image_aug(mixed_precision=True) if kind == "image" else _table_aug()).fit(X, y)
    path = tmp_path / "m"
    aug.save(path)
    on_cpu = GANAugmenter.load(path, device="cpu")
    assert on_cpu.device_.type == "cpu"
    X_cpu, y_cpu = on_cpu.sample(6, y=y[-1])
    X_gpu, _ = aug.sample(6, y=y[-1])
    assert X_cpu.shape == X_gpu.shape and X_cpu.dtype == X_gpu.dtype
    assert (y_cpu == y[-1]).all()
    # warm start on the CPU after a GPU fit
    on_cpu.set_params(warm_start=True, max_steps=2).fit(X, y)
    on_gpu = GANAugmenter.load(path)
    assert on_gpu.device_.type == "cuda"
    a = on_gpu.sample(5, y=y[-1], random_state=3)[0]
    b = aug.sample(5, y=y[-1], random_state=3)[0]
    # same weights, same seed, same device: equal up to GPU rounding (one grey level)
    assert np.abs(a.astype(np.float64) - b.astype(np.float64)).max() <= 1.0


@pytest.mark.cuda
@needs_cuda
def test_to_dataset_on_cuda():
    X, y = _images()
    aug = _image_aug()
    ds = aug.to_dataset(X, y)
    assert len(ds) == 120
    xb, yb = next(iter(DataLoader(ds, batch_size=120)))
    assert xb.shape == (120, 1, 28, 28) and torch.isfinite(xb).all()
    assert torch.bincount(yb).tolist() == [60, 60]


# -- everywhere: a file from a GPU on a machine without one --------------------------------


def _as_if_saved_on_a_gpu(src, dst) -> None:
    """Rewrite a CPU-made file as a GPU fit writes it: device cuda, a CUDA rng state."""
    with safe_open(str(src), framework="pt") as handle:
        document = json.loads(handle.metadata()["ganaug"])
        tensors = {k: handle.get_tensor(k) for k in handle.keys()}
    document["attributes"]["device_"] = {"__device__": "cuda:0"}
    document["model"]["training"]["mixed_precision"] = "bf16"
    # a CUDA generator's state is 16 bytes (seed and offset), a CPU one's much longer
    tensors["trainer.rng"] = torch.zeros(16, dtype=torch.uint8)
    save_file(tensors, str(dst), metadata={"ganaug": json.dumps(document)})


def test_image_model_saved_on_gpu_loads_by_default_without_cuda(tmp_path, monkeypatch):
    X, y = _images(40, 10, side=16)
    aug = GANAugmenter(max_steps=2, batch_size=8, random_state=0, device="cpu").fit(X, y)
    src, dst = tmp_path / "cpu", tmp_path / "gpu"
    aug.save(src)
    _as_if_saved_on_a_gpu(src, dst)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("ganaug.precision.cpu_has_amx_bf16", lambda: False)
    with pytest.warns(UserWarning, match="loaded on the CPU"):
        loaded = GANAugmenter.load(dst)
    assert loaded.device_.type == "cpu"
    # "auto" resolves again on the CPU (here one without AMX): training on is float32
    assert loaded.model_.trainer.precision == "off"
    X_new, y_new = loaded.sample(5, y=5)
    assert X_new.shape == (5, 16, 16) and X_new.dtype == np.uint8 and (y_new == 5).all()
    loaded.set_params(warm_start=True, max_steps=1).fit(X, y)
    assert loaded.n_steps_ == 3


def test_device_cuda_without_cuda_is_refused_before_training(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X, y = _images(20, 5, side=8)
    with pytest.raises(ValueError, match="CUDA is not available"):
        GANAugmenter(device="cuda", max_steps=1).fit(X, y)


@pytest.mark.parametrize("kind", ["table", "image"])
def test_warm_start_trains_where_the_loaded_model_lives(kind, tmp_path, monkeypatch):
    """A GPU model loaded with device="cpu" keeps device="cuda" as its parameter; a warm
    start must go on on the CPU, where its networks are (seen on an H200: the table model
    drew noise on the GPU for CPU networks)."""
    X, y = _images(40, 10, side=16) if kind == "image" else _table()
    make = _image_aug if kind == "image" else _table_aug
    aug = make(max_steps=2, device="cpu").fit(X, y)
    aug.save(tmp_path / "m")
    loaded = GANAugmenter.load(tmp_path / "m", device="cpu")
    # as the parameter reads after a GPU fit, and as it resolves on a machine with a GPU
    monkeypatch.setattr(
        "ganaug._augmenter.resolve_device", lambda device: torch.device(str(device))
    )
    loaded.set_params(device="cuda", warm_start=True, max_steps=1).fit(X, y)
    assert loaded.device_.type == "cpu" and loaded.n_steps_ == 3
    X_new, _ = loaded.sample(4, y=y[-1])
    assert len(X_new) == 4
