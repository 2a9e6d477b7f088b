"""What one optimiser step of the loop uses, built once per cell from the Experiment's axes."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ablab.data.augment import BatchTransform
from ablab.data.tensors import TensorData
from ablab.spec import Experiment
from ablab.train.build import (
    make_augmentation,
    make_loss,
    make_optimizer,
    make_penalty,
    make_schedule,
)
from ablab.train.losses import LossFn
from ablab.train.penalties import PenaltyFn
from ablab.train.schedules import LRScheduler


@dataclass
class Stepper:
    """What one optimiser step uses: built once per cell from the Experiment's axes."""

    optimizer: torch.optim.Optimizer
    schedule: LRScheduler
    loss: LossFn
    penalty: PenaltyFn | None
    augment: BatchTransform | None
    augment_generator: torch.Generator
    grad_clip: float | None

    @classmethod
    def build(
        cls, exp: Experiment, model: nn.Module, data: TensorData, steps: int
    ) -> Stepper:
        optimizer = make_optimizer(exp, model)
        # Its own stream, so that switching augmentation on leaves the batch order alone.
        augment_generator = torch.Generator(device=data.x_train.device).manual_seed(exp.seed + 1)
        return cls(optimizer, make_schedule(exp, optimizer, steps), make_loss(exp),
                   make_penalty(exp), make_augmentation(exp, data, augment_generator),
                   augment_generator, exp.grad_clip)


# What a model trained outside the optimiser loop (EpochFitter) cannot honour: these must stay
# at their defaults for it.
LOOP_ONLY = ("schedule", "loss", "penalty", "augmentation", "grad_clip")


def changed_axes(exp: Experiment, names: tuple[str, ...] = LOOP_ONLY) -> list[str]:
    """The fields among `names` (or their `*_kwargs`) that `exp` sets away from the default."""
    defaults = Experiment()
    return [name for name in names
            for field in (name, f"{name}_kwargs") if hasattr(defaults, field)
            and getattr(exp, field) != getattr(defaults, field)]


def check_fitter(exp: Experiment) -> None:
    changed = changed_axes(exp)
    if changed:
        raise ValueError(f"model {exp.model!r} trains outside the optimiser loop; "
                         f"{', '.join(changed)} cannot apply to it (leave them at their defaults)")
