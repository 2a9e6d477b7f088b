"""CUDA speed options of an Experiment: bf16 autocast, TF32 matmuls and channels-last layout.

They are Experiment fields (so rows and keys record them); `Experiment` refuses them on
device='cpu', and `check_device_options` refuses them for any non-CUDA device `auto` resolved to.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

from ablab.spec import Experiment


def asked_options(exp: Experiment) -> list[str]:
    """The CUDA-only options `exp` turns on, as they are spelled on the command line."""
    asked = [f"amp={exp.amp}"] if exp.amp != "none" else []
    return asked + [name for name in ("tf32", "channels_last") if getattr(exp, name)]


def check_device_options(exp: Experiment, device: torch.device) -> None:
    """ValueError when CUDA-only options meet a device that is not CUDA."""
    asked = asked_options(exp)
    if asked and device.type != "cuda":
        raise ValueError(f"{', '.join(asked)} need a CUDA device; this cell runs on {device}")


@contextlib.contextmanager
def tf32_matmuls(enabled: bool) -> Iterator[None]:
    """TF32 for CUDA matmuls and convolutions while training `exp`, restored afterwards.
    Off means strict FP32 for both (PyTorch's own default lets cuDNN convs use TF32), so the
    recorded `tf32=False` is true."""
    matmul, cudnn = torch.backends.cuda.matmul, torch.backends.cudnn
    saved = (matmul.allow_tf32, cudnn.allow_tf32)
    matmul.allow_tf32 = cudnn.allow_tf32 = enabled
    try:
        yield
    finally:
        matmul.allow_tf32, cudnn.allow_tf32 = saved


def autocast(exp: Experiment, device: torch.device) -> contextlib.AbstractContextManager[None]:
    """bf16 autocast on CUDA when `exp.amp == 'bf16'`, else nothing."""
    if exp.amp == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def to_layout(exp: Experiment, tensor: torch.Tensor) -> torch.Tensor:
    """Image batches (N, C, H, W) in channels-last layout when asked; anything else unchanged."""
    if exp.channels_last and tensor.dim() == 4:
        return tensor.contiguous(memory_format=torch.channels_last)
    return tensor


def model_layout(exp: Experiment, model: nn.Module) -> nn.Module:
    """The model's 4-D weights in channels-last layout when asked."""
    if exp.channels_last:
        return model.to(memory_format=torch.channels_last)
    return model
