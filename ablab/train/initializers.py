"""Built-in weight initialisations. A factory is `(model, **kwargs) -> None`: it re-initialises
the model in place. The built-ins fill every linear, convolution and recurrent weight with their
scheme and set those layers' biases to zero; `default` keeps PyTorch's own initialisation."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ablab.registry import register_init

_WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.LSTM, nn.GRU, nn.RNN)


@torch.no_grad()
def fill_weights(model: nn.Module, fill: Callable[[torch.Tensor], object]) -> None:
    """`fill` every weight of the weighted layers; zero their biases."""
    for module in model.modules():
        if not isinstance(module, _WEIGHTED):
            continue
        for name, param in module.named_parameters(recurse=False):
            if name.startswith("weight"):
                fill(param)
            elif name.startswith("bias"):
                nn.init.zeros_(param)


@register_init
def default(model: nn.Module) -> None:
    """PyTorch's own initialisation, untouched."""


@register_init
def he(model: nn.Module) -> None:
    """Kaiming normal for ReLU networks."""
    fill_weights(model, lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"))


@register_init
def xavier(model: nn.Module, *, gain: float = 1.0) -> None:
    """Glorot normal."""
    fill_weights(model, lambda w: nn.init.xavier_normal_(w, gain=gain))


@register_init
def xavier_uniform(model: nn.Module, *, gain: float = 1.0) -> None:
    fill_weights(model, lambda w: nn.init.xavier_uniform_(w, gain=gain))


@register_init
def orthogonal(model: nn.Module, *, gain: float = 1.0) -> None:
    fill_weights(model, lambda w: nn.init.orthogonal_(w, gain=gain))


@register_init
def normal(model: nn.Module, *, std: float = 1.0) -> None:
    """N(0, std^2). The default std 1 is the malaria study's "random" init: unscaled,
    deliberately badly scaled."""
    if not std > 0:
        raise ValueError(f"std={std} must be > 0")
    fill_weights(model, lambda w: nn.init.normal_(w, mean=0.0, std=std))


@register_init
def zeros(model: nn.Module) -> None:
    fill_weights(model, nn.init.zeros_)
