"""Built-in penalties added to the training loss: a factory is `(**kwargs) -> (weights) ->
term`, or returns None for no term. `weights` are the model's weight matrices and kernels, not
biases or norm scales (see `penalized`)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ablab.registry import register_penalty

PenaltyFn = Callable[[list[torch.Tensor]], torch.Tensor]


def penalized(model: nn.Module) -> list[torch.Tensor]:
    """The parameters penalties apply to: weights, not biases or norm scales."""
    return [p for p in model.parameters() if p.dim() > 1]


def _norm_penalty(power: int, weight: float) -> PenaltyFn:
    """weight x the *sum* over the weights (see `penalized`) of |w| (L1) or w**2 (L2): not a
    mean over weights and no 1/2, so the weight's effect grows with the model's size."""
    if not weight > 0:
        raise ValueError(f"weight={weight} must be > 0")

    def term(weights: list[torch.Tensor]) -> torch.Tensor:
        return weight * torch.stack([p.abs().pow(power).sum() for p in weights]).sum()

    return term


@register_penalty
def none() -> PenaltyFn | None:
    return None


@register_penalty
def l1(*, weight: float) -> PenaltyFn | None:
    """`weight` times the sum of absolute weights."""
    return _norm_penalty(1, weight)


@register_penalty
def l2(*, weight: float) -> PenaltyFn | None:
    """`weight` times the sum of squared weights (added to the loss, unlike weight decay)."""
    return _norm_penalty(2, weight)
