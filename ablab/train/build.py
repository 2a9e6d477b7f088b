"""Building what a cell trains: the model (seeded, initialised), the optimiser, the loss and the
L1 / L2 penalty, each from the Experiment's fields."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ablab.data.tensors import TensorData
from ablab.registry import MODELS
from ablab.spec import Experiment
from ablab.train.initializers import initialize

MOMENTUM = 0.9


def build_model(exp: Experiment, data: TensorData) -> nn.Module:
    """The registered model for `exp`, seeded and initialised with its scheme."""
    torch.manual_seed(exp.seed)
    extra: dict[str, Any] = {"dropout": exp.dropout} if exp.dropout else {}
    factory = MODELS.get(exp.model)
    model: nn.Module = factory(
        input_shape=data.input_shape, num_classes=data.num_classes, **exp.model_kwargs, **extra
    )
    initialize(model, exp.init)
    return model


def make_optimizer(exp: Experiment, model: nn.Module) -> torch.optim.Optimizer:
    params = model.parameters()
    if exp.optimizer == "adam":
        return torch.optim.Adam(params, lr=exp.lr, weight_decay=exp.weight_decay)
    momentum = MOMENTUM if exp.optimizer == "momentum" else 0.0
    return torch.optim.SGD(params, lr=exp.lr, momentum=momentum, weight_decay=exp.weight_decay)


def loss_fn(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy; binary cross-entropy on logits for a single-output sigmoid head."""
    if logits.shape[1] == 1:
        return F.binary_cross_entropy_with_logits(logits[:, 0], y.to(logits.dtype))
    return F.cross_entropy(logits, y)


def penalized(model: nn.Module) -> list[torch.Tensor]:
    """The parameters L1 / L2 penalties apply to: weights, not biases or norm scales."""
    return [p for p in model.parameters() if p.dim() > 1]


def penalty(exp: Experiment, weights: list[torch.Tensor]) -> torch.Tensor | None:
    """penalty_weight x the *sum* over `weights` (see `penalized`) of |w| (L1) or w**2 (L2):
    not a mean over weights and no 1/2, so the weight's effect grows with the model's size."""
    if exp.penalty == "none":
        return None
    power = 1 if exp.penalty == "l1" else 2
    total = torch.stack([p.abs().pow(power).sum() for p in weights]).sum()
    return exp.penalty_weight * total
