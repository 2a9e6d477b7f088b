"""A configurable convolutional network: conv blocks, then dense layers, then the head."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from ablab.registry import register_model
from models.layers import ACTIVATIONS, Activation, dense_stack, head

POOLS: dict[str, type[nn.Module]] = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


def conv_block(
    in_channels: int, out_channels: int, *, kernel: int, padding: int, convs: int,
    batch_norm: bool, activation: str, pool: str,
) -> nn.Sequential:
    """`convs` x [Conv, (BatchNorm), activation], then a 2x2 pool."""
    layers: list[nn.Module] = []
    for i in range(convs):
        layers.append(nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, kernel,
                                padding=padding))
        if batch_norm:
            layers.append(nn.BatchNorm2d(out_channels))
        layers.append(ACTIVATIONS[activation]())
    if pool != "none":
        layers.append(POOLS[pool](2))
    return nn.Sequential(*layers)


@register_model
def cnn(
    *,
    input_shape: tuple[int, ...],
    num_classes: int,
    channels: tuple[int, ...] = (16, 32),
    kernel: int = 3,
    padding: int = 1,
    convs_per_block: int = 1,
    batch_norm: bool = False,
    activation: Activation = "relu",
    pool: Literal["max", "avg", "none"] = "max",
    linear: tuple[int, ...] = (64,),
    dropout: float = 0.0,
    dropout_at: Literal["conv", "fc", "none"] = "fc",
    output: Literal["softmax", "sigmoid"] = "softmax",
) -> nn.Module:
    """Conv blocks (dropout after each block when dropout_at='conv'), flatten, dense layers
    (dropout after each when dropout_at='fc'), output layer."""
    if dropout and dropout_at == "none":
        raise ValueError(f"dropout={dropout} needs dropout_at='conv' or 'fc', not 'none'")
    blocks: list[nn.Module] = []
    in_channels = input_shape[0]
    for out_channels in channels:
        blocks.append(conv_block(in_channels, out_channels, kernel=kernel, padding=padding,
                                 convs=convs_per_block, batch_norm=batch_norm,
                                 activation=activation, pool=pool))
        if dropout and dropout_at == "conv":
            blocks.append(nn.Dropout(dropout))
        in_channels = out_channels
    features = nn.Sequential(*blocks, nn.Flatten())
    with torch.no_grad():  # the flattened width, from one dummy sample
        width = features(torch.zeros(1, *input_shape)).shape[1]
    dense, width = dense_stack(width, tuple(linear), activation,
                               dropout if dropout_at == "fc" else 0.0, False)
    return nn.Sequential(features, dense, head(width, num_classes, output))
