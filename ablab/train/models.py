"""The generic models every project has: `mlp` and `cnn`, registered when ablab is imported.

A project's own models live in its own modules (see README, "Adding a model")."""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import nn

from ablab.registry import register_model
from ablab.train.layers import ACTIVATIONS, Activation, dense_stack, head


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


POOLS: dict[str, type[nn.Module]] = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


def conv_block(
    in_channels: int, out_channels: int, *, kernel: int, padding: int, convs: int,
    batch_norm: Literal["conv", "block", "none"], activation: str, pool: str,
) -> nn.Sequential:
    """`convs` x [Conv, (BatchNorm if "conv"), activation], then a 2x2 pool (unless "none"),
    then one BatchNorm if "block" (S5's conv-conv-pool-batchnorm blocks)."""
    layers: list[nn.Module] = []
    for i in range(convs):
        layers.append(nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, kernel,
                                padding=padding))
        if batch_norm == "conv":
            layers.append(nn.BatchNorm2d(out_channels))
        layers.append(ACTIVATIONS[activation]())
    if pool != "none":
        layers.append(POOLS[pool](2))
    if batch_norm == "block":
        layers.append(nn.BatchNorm2d(out_channels))
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
    batch_norm_at: Literal["conv", "block"] = "conv",
    activation: Activation = "relu",
    pool: Literal["max", "avg", "none"] = "max",
    pool_at: Literal["every", "last"] = "every",
    linear: tuple[int, ...] = (64,),
    dropout: float = 0.0,
    dropout_at: Literal["conv", "fc", "none"] = "fc",
    output: Literal["softmax", "sigmoid"] = "softmax",
) -> nn.Module:
    """Conv blocks (dropout between consecutive blocks when dropout_at='conv', S1's placement:
    none after the last block, before the flatten), flatten, dense layers
    (dropout after each when dropout_at='fc'), output layer.

    batch_norm_at: 'conv' puts batch norm after every convolution, 'block' once after the
    block's pool. pool_at: 'every' block ends with a 2x2 pool, or only the 'last' one.
    The studies' CNNs: S3 channels=(4, 4), batch_norm=True, linear=(); S4 channels=(10, 20, 40,
    64), kernel=5, padding=1, pool_at='last', linear=(256,); S5 channels=(32, 64, 128, 256),
    convs_per_block=2, batch_norm=True, batch_norm_at='block', linear=(1024, 1024).
    """
    if dropout and dropout_at == "none":
        raise ValueError(f"dropout={dropout} needs dropout_at='conv' or 'fc', not 'none'")
    if dropout and dropout_at == "conv" and len(channels) < 2:
        raise ValueError(f"dropout_at='conv' drops between convolution blocks: channels="
                         f"{channels} has one block; use dropout_at='fc' or two or more blocks")
    blocks: list[nn.Module] = []
    in_channels = input_shape[0]
    norm: Literal["conv", "block", "none"] = batch_norm_at if batch_norm else "none"
    for i, out_channels in enumerate(channels):
        pooled = pool if pool_at == "every" or i == len(channels) - 1 else "none"
        blocks.append(conv_block(in_channels, out_channels, kernel=kernel, padding=padding,
                                 convs=convs_per_block, batch_norm=norm,
                                 activation=activation, pool=pooled))
        if dropout and dropout_at == "conv" and i < len(channels) - 1:
            blocks.append(nn.Dropout(dropout))
        in_channels = out_channels
    features = nn.Sequential(*blocks, nn.Flatten())
    with torch.no_grad():  # the flattened width, from one dummy sample
        width = features(torch.zeros(1, *input_shape)).shape[1]
    dense, width = dense_stack(width, tuple(linear), activation,
                               dropout if dropout_at == "fc" else 0.0, False)
    return nn.Sequential(features, dense, head(width, num_classes, output))
