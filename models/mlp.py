"""A multilayer perceptron over flattened inputs."""

from __future__ import annotations

import math
from typing import Literal

from torch import nn

from ablab.registry import register_model
from models.layers import Activation, dense_stack, head


@register_model
def mlp(
    *,
    input_shape: tuple[int, ...],
    num_classes: int,
    hidden: tuple[int, ...] = (128, 64),
    activation: Activation = "relu",
    dropout: float = 0.0,
    batch_norm: bool = False,
    output: Literal["softmax", "sigmoid"] = "softmax",
) -> nn.Module:
    """Flatten -> [Linear, (BatchNorm), activation, (Dropout)] per hidden size -> output layer."""
    stack, width = dense_stack(math.prod(input_shape), tuple(hidden), activation, dropout,
                               batch_norm)
    return nn.Sequential(nn.Flatten(), stack, head(width, num_classes, output))
