"""Building what a cell trains, each from the Experiment's fields and the axis registries: the
model (seeded, initialised), the optimiser and its schedule, the training loss, the penalty and
the batch augmentation."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ablab.axes import make
from ablab.data.augment import BatchTransform
from ablab.data.tensors import TensorData
from ablab.registry import MODELS
from ablab.spec import Experiment
from ablab.train.losses import LossFn
from ablab.train.penalties import PenaltyFn
from ablab.train.schedules import LRScheduler


def build_model(exp: Experiment, data: TensorData) -> nn.Module:
    """The registered model for `exp`, seeded and initialised with its scheme."""
    torch.manual_seed(exp.seed)
    extra: dict[str, Any] = {"dropout": exp.dropout} if exp.dropout else {}
    factory = MODELS.get(exp.model)
    model: nn.Module = factory(
        input_shape=data.input_shape, num_classes=data.num_classes, **exp.model_kwargs, **extra
    )
    make("init", exp.as_dict(), model)
    return model


def make_optimizer(exp: Experiment, model: nn.Module) -> torch.optim.Optimizer:
    optimizer: torch.optim.Optimizer = make("optimizer", exp.as_dict(), model.parameters(),
                                            lr=exp.lr)
    return optimizer


def make_schedule(
    exp: Experiment, optimizer: torch.optim.Optimizer, steps_per_epoch: int
) -> LRScheduler:
    schedule: LRScheduler = make("schedule", exp.as_dict(), optimizer, epochs=exp.epochs,
                                 steps_per_epoch=steps_per_epoch)
    return schedule


def make_loss(exp: Experiment) -> LossFn:
    loss: LossFn = make("loss", exp.as_dict())
    return loss


def make_penalty(exp: Experiment) -> PenaltyFn | None:
    penalty: PenaltyFn | None = make("penalty", exp.as_dict())
    return penalty


def make_augmentation(
    exp: Experiment, data: TensorData, generator: torch.Generator
) -> BatchTransform | None:
    """The batch transform, tried on two training samples so that data it cannot transform
    fails before training (a clone of `generator`'s state is used, not `generator` itself)."""
    transform: BatchTransform | None = make("augmentation", exp.as_dict())
    if transform is not None:
        trial = torch.Generator(device=generator.device).set_state(generator.get_state())
        try:
            transform(data.x_train[:2], trial)
        except (ValueError, RuntimeError) as error:
            raise ValueError(f"augmentation={exp.augmentation!r}: {error}") from None
    return transform


def loss_fn(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The metric loss of validation and test: cross-entropy; binary cross-entropy on logits for
    a single-output sigmoid head. Whatever a cell trains with, its reported losses compare."""
    if logits.shape[1] == 1:
        return F.binary_cross_entropy_with_logits(logits[:, 0], y.to(logits.dtype))
    return F.cross_entropy(logits, y)
