"""Weight initialisation schemes applied to every linear, convolution and recurrent weight."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

_WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.LSTM, nn.GRU, nn.RNN)


def _he(w: torch.Tensor) -> None:
    nn.init.kaiming_normal_(w, nonlinearity="relu")


def _xavier(w: torch.Tensor) -> None:
    nn.init.xavier_normal_(w)


def _normal(w: torch.Tensor) -> None:
    # "Random" init of the malaria study: unscaled N(0, 1), deliberately badly scaled.
    nn.init.normal_(w, mean=0.0, std=1.0)


def _zeros(w: torch.Tensor) -> None:
    nn.init.zeros_(w)


SCHEMES: dict[str, Callable[[torch.Tensor], None]] = {
    "he": _he, "xavier": _xavier, "normal": _normal, "zeros": _zeros,
}


@torch.no_grad()
def initialize(model: nn.Module, scheme: str) -> None:
    """Re-initialise weights with `scheme` and biases with zeros; `default` keeps PyTorch's."""
    if scheme == "default":
        return
    fill = SCHEMES[scheme]
    for module in model.modules():
        if not isinstance(module, _WEIGHTED):
            continue
        for name, param in module.named_parameters(recurse=False):
            if name.startswith("weight"):
                fill(param)
            elif name.startswith("bias"):
                nn.init.zeros_(param)
