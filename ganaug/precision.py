"""Mixed precision for GAN training: autocast and, for float16, a loss scaler.

The estimator's ``mixed_precision`` parameter means:

- ``"auto"``: on a CUDA device, bfloat16 autocast where the card supports it,
  else float16 autocast with a gradient scaler; on a CPU with bfloat16 matrix
  units (Intel AMX: Xeon of the 4th generation and later), bfloat16 autocast;
  off on other CPUs and on MPS.
- ``True``: as ``"auto"`` on CUDA; bfloat16 autocast on the CPU (recent x86
  CPUs run it in hardware; elsewhere it is slower than float32); refused on
  MPS, where it is not supported here.
- ``False``: float32 everywhere.

Only the forward passes of training run under autocast. Weights, optimizer
moments, the moving-average generator, batch-norm statistics and spectral-norm
vectors stay float32; losses are reduced in float32; the WGAN gradient penalty
(a double backward) is computed in float32; sampling is float32.

A :class:`LossScaler` (float16 only) multiplies the loss before backward so
that small gradients do not flush to zero in float16. A step whose scaled
gradients overflow is skipped and the scale lowered: routine, not a failure.
Only a non-finite gradient at a scale of 1 or less, or a non-finite loss,
counts as one, and then the trainer's usual recovery runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize

__all__ = [
    "PRECISIONS",
    "LossScaler",
    "autocast",
    "cpu_has_amx_bf16",
    "float32_parametrizations",
    "portable_precision",
    "resolve_precision",
]

# What a TrainingConfig stores: the resolved mode, not the user's setting.
PRECISIONS = ("off", "bf16", "fp16")
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_precision(setting: Any, device: torch.device) -> str:
    """The mode (``"off"``, ``"bf16"``, ``"fp16"``) ``mixed_precision=setting`` means on ``device``.

    Raises
    ------
    ValueError
        For a setting other than ``"auto"``, True and False, and for True on a
        device without mixed-precision support here (MPS).
    """
    if isinstance(setting, np.bool_):
        setting = bool(setting)
    if setting is False:
        return "off"
    if not (setting is True or setting == "auto"):
        raise ValueError(f"mixed_precision must be 'auto', True or False, got {setting!r}.")
    device = torch.device(device)
    if device.type == "cuda":
        return "bf16" if _cuda_has_bf16(device) else "fp16"
    if setting == "auto":
        # bfloat16 pays on a CPU only with matrix units for it: with AMX the image
        # model's training step ran 1.8x as fast as in float32 (benchmarks/BENCHMARKS.md);
        # without them it is slower than float32, which stays the default there
        return "bf16" if device.type == "cpu" and cpu_has_amx_bf16() else "off"
    if device.type == "cpu":
        return "bf16"
    raise ValueError(
        f"mixed_precision=True is not supported on device {device.type!r}; use "
        "mixed_precision='auto' or False there."
    )


def cpu_has_amx_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (Intel AMX), as torch sees it."""
    capabilities = getattr(torch.cpu, "get_capabilities", None)
    if capabilities is None:  # an older torch: no way to tell, so float32
        return False
    return bool(capabilities().get("amx_bf16", False))


def _cuda_has_bf16(device: torch.device) -> bool:
    """bfloat16 in the card's hardware (Ampere or newer), not emulated (slowly) on older ones."""
    with torch.cuda.device(device):
        try:
            return torch.cuda.is_bf16_supported(including_emulation=False)
        except TypeError:  # torch before 2.3 has no emulation and no such argument
            return torch.cuda.is_bf16_supported()


def portable_precision(mode: str, device: torch.device) -> str:
    """``mode`` if ``device`` can run it, else ``"off"`` (fitted on a GPU, loaded on a CPU)."""
    device = torch.device(device)
    if mode == "fp16" and device.type != "cuda":
        return "off"
    if mode == "bf16" and device.type not in ("cuda", "cpu"):
        return "off"
    return mode if mode in PRECISIONS else "off"


def autocast(mode: str, device: torch.device) -> AbstractContextManager[Any]:
    """A context that runs forward passes in ``mode``'s dtype (a no-op for ``"off"``)."""
    if mode == "off":
        return nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=_DTYPES[mode])


@contextmanager
def float32_parametrizations(module: nn.Module, mode: str, device: torch.device) -> Iterator[None]:
    """Evaluate ``module``'s parametrized weights once, in float32, for the whole block.

    Spectral norm's power iteration uses ``torch.mv``, which CUDA autocast runs in
    bf16/fp16, and then ``torch.vdot`` of a float32 and a bf16 vector, which
    fails; it would also estimate the largest singular value in low precision.
    Evaluating the parametrizations first, in float32, under
    ``torch.nn.utils.parametrize.cached()`` makes every forward pass in the block
    reuse those weights (autograd still flows through them). A no-op for ``"off"``.
    """
    if mode == "off":
        yield
        return
    with parametrize.cached():
        with torch.autocast(device_type=torch.device(device).type, enabled=False):
            for m in module.modules():
                if parametrize.is_parametrized(m):
                    for name in m.parametrizations:
                        getattr(m, name)
        yield


class LossScaler:
    """A dynamic loss scale for float16 training of one network.

    ``torch.amp.GradScaler`` does the scaling; this wrapper separates an overflow
    of the scaled gradients (skip the step, lower the scale) from a divergence
    (non-finite gradients at a scale that no longer amplifies anything).
    """

    def __init__(self, device: torch.device) -> None:
        # 2**10 rather than torch's 2**16: GAN gradients are small but not tiny, and
        # each halving from too high a start skips a step
        self.scaler = torch.amp.GradScaler(torch.device(device).type, init_scale=2.0**10)

    def step(self, optimizer: torch.optim.Optimizer, module: nn.Module, loss: torch.Tensor) -> bool:
        """Backward and step; False only when the gradients diverged (see module docstring)."""
        optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(optimizer)
        grads = [p.grad for p in module.parameters() if p.grad is not None]
        finite = not grads or bool(torch.isfinite(torch.stack(torch._foreach_norm(grads)).sum()))
        scale = float(self.scaler.get_scale())
        # step() skips the update itself when it finds non-finite gradients
        self.scaler.step(optimizer)
        self.scaler.update()
        if not finite:
            optimizer.zero_grad(set_to_none=True)
            return scale > 1.0
        return True
