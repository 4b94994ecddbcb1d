"""mixed_precision on the CPU: validation, what "auto" means, bf16 and fp16 training paths."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

import ganaug.precision
from ganaug import GANAugmenter
from ganaug.precision import LossScaler, cpu_has_amx_bf16, portable_precision, resolve_precision


def _images(n_major: int = 40, n_minor: int = 12, side: int = 16):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (n_major + n_minor, side, side), dtype=np.uint8)
    X[n_major:, : side // 2] //= 4  # the minority class is darker at the top
    return X, np.r_[np.zeros(n_major, int), np.ones(n_minor, int)]


def _small(**kw) -> GANAugmenter:
    params = {"max_steps": 3, "batch_size": 8, "n_jobs": 1, "random_state": 0, "device": "cpu"}
    return GANAugmenter(**{**params, **kw})


@pytest.mark.parametrize("bad", ["on", "bf16", 1, None, 0.5])
def test_bad_mixed_precision_is_refused_before_training(bad):
    X, y = _images()
    with pytest.raises((ValueError, TypeError), match="mixed_precision"):
        _small(mixed_precision=bad).fit(X, y)


def test_mixed_precision_true_on_mps_is_refused():
    with pytest.raises(ValueError, match="not supported on device 'mps'"):
        resolve_precision(True, torch.device("mps"))


@pytest.fixture
def no_amx(monkeypatch):
    """A CPU without bfloat16 matrix units, whatever this one has."""
    monkeypatch.setattr(ganaug.precision, "cpu_has_amx_bf16", lambda: False)


def test_auto_is_float32_on_a_cpu_without_amx(no_amx):
    X, y = _images()
    aug = _small().fit(X, y)
    assert aug.model_.trainer.precision == "off"
    assert aug.model_.trainer.config.mixed_precision == "off"
    assert resolve_precision("auto", torch.device("cpu")) == "off"
    assert resolve_precision(False, torch.device("cuda")) == "off"


def test_auto_is_bfloat16_on_a_cpu_with_amx(monkeypatch):
    monkeypatch.setattr(ganaug.precision, "cpu_has_amx_bf16", lambda: True)
    assert resolve_precision("auto", torch.device("cpu")) == "bf16"
    assert resolve_precision(False, torch.device("cpu")) == "off"
    X, y = _images()
    aug = _small().fit(X, y)
    assert aug.model_.trainer.precision == "bf16"
    X_new, _ = aug.sample(4, y=1)
    assert X_new.dtype == np.uint8 and X_new.shape == (4, 16, 16)
    # repeatable on one machine, as float32 is
    again = _small().fit(X, y)
    assert np.array_equal(
        again.sample(4, y=1, random_state=3)[0], aug.sample(4, y=1, random_state=3)[0]
    )


def test_amx_probe_reads_torchs_cpu_capabilities(monkeypatch):
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"amx_bf16": True})
    assert cpu_has_amx_bf16() is True
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"avx512_bf16": True})
    assert cpu_has_amx_bf16() is False
    monkeypatch.delattr(torch.cpu, "get_capabilities")
    assert cpu_has_amx_bf16() is False


def test_cpu_image_networks_train_channels_last():
    X, y = _images()
    trainer = _small().fit(X, y).model_.trainer
    for network in (trainer.generator, trainer.critic, trainer.ema):
        weights = [p for p in network.parameters() if p.dim() == 4]
        assert weights and all(p.is_contiguous(memory_format=torch.channels_last) for p in weights)


def test_auto_and_false_give_identical_results_on_a_cpu_without_amx(no_amx):
    X, y = _images()
    a = _small(mixed_precision="auto").fit(X, y)
    b = _small(mixed_precision=False).fit(X, y)
    assert np.array_equal(a.sample(6, y=1, random_state=2)[0], b.sample(6, y=1, random_state=2)[0])


def test_true_trains_in_bfloat16_on_the_cpu_with_finite_float32_weights():
    X, y = _images()
    seen = []
    aug = _small(mixed_precision=True)
    X_res, y_res = aug.fit_resample(X, y)
    trainer = aug.model_.trainer
    assert trainer.precision == "bf16"
    # the forward passes really ran in bfloat16
    hook = trainer.critic.stem.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    with trainer.autocast():
        trainer.critic(torch.zeros(2, 1, 16, 16), torch.zeros(2, dtype=torch.long))
    hook.remove()
    assert seen == [torch.bfloat16]
    for module in (trainer.generator, trainer.critic, trainer.ema):
        for p in module.parameters():
            assert p.dtype == torch.float32 and torch.isfinite(p).all()
    assert np.bincount(y_res).tolist() == [40, 40]
    assert X_res.dtype == np.uint8 and X_res.shape == (80, 16, 16)
    assert all(np.isfinite(h["loss_g"]) for h in aug.history_)
    # repeatable on the CPU, as in float32
    again = _small(mixed_precision=True).fit(X, y)
    assert np.array_equal(
        aug.sample(5, y=1, random_state=1)[0], again.sample(5, y=1, random_state=1)[0]
    )


def test_samples_are_float32_under_mixed_precision():
    X, y = _images()
    aug = _small(mixed_precision=True).fit(X.astype(np.float32) / 255, y)
    X_new, _ = aug.sample(4, y=0)
    assert X_new.dtype == np.float32 and np.isfinite(X_new).all()
    raw = aug.model_.generate(np.array([0, 1]), torch.Generator().manual_seed(0))
    assert raw.dtype == torch.float32


def test_tables_ignore_mixed_precision():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), np.r_[np.zeros(45, int), np.ones(15, int)]
    aug = GANAugmenter(max_steps=2, hidden_units=(8,), mixed_precision=True, random_state=0)
    aug.fit(X, y)
    assert aug.model_.trainer.precision == "off"


def test_fp16_path_with_loss_scaler_trains(monkeypatch):
    """The float16 path (a CUDA card without bf16), run on the CPU's fp16 autocast."""
    import ganaug.models.image as image_model
    import ganaug.training.trainer as training

    monkeypatch.setattr(training, "portable_precision", lambda mode, device: mode)
    monkeypatch.setattr(image_model, "resolve_precision", lambda setting, device: "fp16")
    X, y = _images()
    # wgan-gp and the auxiliary classifier: the gradient penalty and all three scalers
    aug = _small(loss="wgan-gp", aux_weight=0.5, max_steps=4)
    X_res, y_res = aug.fit_resample(X, y)
    trainer = aug.model_.trainer
    assert trainer.precision == "fp16" and len(trainer._scalers) == 3
    assert np.bincount(y_res).tolist() == [40, 40]
    assert all(np.isfinite(v) for h in aug.history_ for v in h.values())


def test_loss_scaler_skips_overflow_and_reports_divergence():
    torch.manual_seed(0)
    net = nn.Linear(3, 1)
    opt = torch.optim.Adam(net.parameters(), lr=0.1)
    scaler = LossScaler(torch.device("cpu"))
    before = [p.detach().clone() for p in net.parameters()]
    assert scaler.step(opt, net, net(torch.ones(2, 3)).sum())
    assert any(not torch.equal(a, p) for a, p in zip(before, net.parameters()))

    # non-finite gradients of a finite loss at a high scale (an fp16 overflow): the
    # step is skipped and the scale halves, but it is no failure
    def nan_gradient_loss():
        return torch.sqrt(net.weight * 0).sum()  # 0, with a NaN gradient

    scale = scaler.scaler.get_scale()
    before = [p.detach().clone() for p in net.parameters()]
    assert scaler.step(opt, net, nan_gradient_loss())
    assert scaler.scaler.get_scale() == scale / 2
    assert all(torch.equal(a, p) for a, p in zip(before, net.parameters()))
    # the same at a scale of 1: nothing left to lower, so it is divergence
    scaler.scaler.update(1.0)
    assert not scaler.step(opt, net, nan_gradient_loss())


def test_portable_precision_falls_back_off_the_gpu():
    assert portable_precision("fp16", torch.device("cpu")) == "off"
    assert portable_precision("bf16", torch.device("cpu")) == "bf16"
    assert portable_precision("bf16", torch.device("mps")) == "off"
    assert portable_precision("fp16", torch.device("cuda")) == "fp16"


def test_file_records_the_setting_and_old_files_load(tmp_path, no_amx):
    X, y = _images()
    aug = _small(mixed_precision=True).fit(X, y)
    path, old = tmp_path / "m", tmp_path / "old"
    aug.save(path)
    with safe_open(str(path), framework="pt") as handle:
        document = json.loads(handle.metadata()["ganaug"])
        tensors = {k: handle.get_tensor(k) for k in handle.keys()}
    assert document["params"]["mixed_precision"] is True
    assert document["model"]["settings"]["mixed_precision"] is True
    assert document["model"]["training"]["mixed_precision"] == "bf16"
    loaded = GANAugmenter.load(path)
    assert loaded.mixed_precision is True and loaded.model_.trainer.precision == "bf16"
    # a file from before the setting existed: loads, samples, and trains on in float32
    del document["params"]["mixed_precision"]
    del document["model"]["settings"]["mixed_precision"]
    del document["model"]["training"]["mixed_precision"]
    save_file(tensors, str(old), metadata={"ganaug": json.dumps(document)})
    legacy = GANAugmenter.load(old)
    assert legacy.mixed_precision == "auto"
    assert legacy.model_.trainer.precision == "off"
    expected = aug.sample(3, y=1, random_state=4)[0]
    assert np.array_equal(legacy.sample(3, y=1, random_state=4)[0], expected)


def test_spectral_norm_runs_under_an_autocast_that_lowers_mv(monkeypatch):
    """CUDA's autocast runs torch.mv in bf16, which breaks spectral norm's vdot;
    emulated on the CPU (whose autocast leaves mv alone) by lowering mv by hand."""
    mv = torch.mv

    def mv_as_cuda_autocast_does(a, b):
        if torch.is_autocast_enabled("cpu"):
            return mv(a.bfloat16(), b.bfloat16())
        return mv(a, b)

    monkeypatch.setattr(torch, "mv", mv_as_cuda_autocast_does)
    X, y = _images()
    aug = _small(mixed_precision=True, loss="wgan-gp")
    _, y_res = aug.fit_resample(X, y)
    assert np.bincount(y_res).tolist() == [40, 40]
    for m in aug.model_.trainer.critic.modules():
        for name, buffer in m.named_buffers(recurse=False):
            assert buffer.dtype == torch.float32 and torch.isfinite(buffer).all(), name
