"""Small building blocks of the model factories: activations, dense stacks, the output head."""

from __future__ import annotations

from typing import Literal

from torch import nn

Activation = Literal["relu", "sigmoid", "tanh", "identity"]

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "identity": nn.Identity,
}


def head(features: int, num_classes: int, kind: Literal["softmax", "sigmoid"]) -> nn.Linear:
    """The output layer: one logit for a binary sigmoid head, else one per class."""
    if kind == "sigmoid":
        if num_classes != 2:
            raise ValueError(f"head='sigmoid' needs 2 classes; this dataset has {num_classes}")
        return nn.Linear(features, 1)
    return nn.Linear(features, num_classes)


def dense_stack(
    features: int, sizes: tuple[int, ...], activation: str, dropout: float, batch_norm: bool
) -> tuple[nn.Sequential, int]:
    """Linear [-> batch norm] -> activation [-> dropout] per size; returns stack and width."""
    layers: list[nn.Module] = []
    for size in sizes:
        layers.append(nn.Linear(features, size))
        if batch_norm:
            layers.append(nn.BatchNorm1d(size))
        layers.append(ACTIVATIONS[activation]())
        if dropout:
            layers.append(nn.Dropout(dropout))
        features = size
    return nn.Sequential(*layers), features
