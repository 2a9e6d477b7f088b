"""Built-in learning-rate schedules over torch.optim.lr_scheduler, stepped once per batch.

A factory is `(optimizer, *, epochs, steps_per_epoch, **kwargs) -> LRScheduler`; the loop calls
`scheduler.step()` after every optimiser step, so a schedule in epochs is written in steps
(`epochs * steps_per_epoch` in all). A bad setting raises ValueError from the factory; the
Experiment probes the factory at construction (with one step per epoch), so it fails there.
"""

from __future__ import annotations

import torch
from torch.optim import lr_scheduler

from ablab.registry import register_schedule

LRScheduler = lr_scheduler.LRScheduler


def _one(step: int) -> float:
    return 1.0


@register_schedule
def constant(
    optimizer: torch.optim.Optimizer, *, epochs: int, steps_per_epoch: int
) -> LRScheduler:
    """The optimiser's lr throughout (the default)."""
    return lr_scheduler.LambdaLR(optimizer, _one)


@register_schedule
def step(
    optimizer: torch.optim.Optimizer, *, epochs: int, steps_per_epoch: int,
    every: int | None = None, gamma: float = 0.1,
) -> LRScheduler:
    """lr times `gamma` every `every` epochs (default: a third of the epochs, at least 1)."""
    if every is not None and not 0 < every < epochs:
        raise ValueError(f"every={every} must be in [1, epochs={epochs}): no decay would happen")
    period = every if every is not None else max(1, epochs // 3)
    return lr_scheduler.StepLR(optimizer, step_size=period * steps_per_epoch, gamma=gamma)


@register_schedule
def cosine(
    optimizer: torch.optim.Optimizer, *, epochs: int, steps_per_epoch: int, eta_min: float = 0.0,
) -> LRScheduler:
    """Cosine annealing from the optimiser's lr to `eta_min` over the whole run."""
    return lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps_per_epoch,
                                          eta_min=eta_min)


@register_schedule
def onecycle(
    optimizer: torch.optim.Optimizer, *, epochs: int, steps_per_epoch: int,
    max_lr: float | None = None, pct_start: float = 0.3, cycle_momentum: bool = False,
) -> LRScheduler:
    """Smith's one-cycle policy peaking at `max_lr` (default: the Experiment's lr). Momentum
    cycling is off by default so that it works with any optimiser, plain SGD included."""
    peak = max_lr if max_lr is not None else optimizer.param_groups[0]["lr"]
    return lr_scheduler.OneCycleLR(optimizer, max_lr=peak, total_steps=epochs * steps_per_epoch,
                                   pct_start=pct_start, cycle_momentum=cycle_momentum)


@register_schedule
def linear_warmup_cosine(
    optimizer: torch.optim.Optimizer, *, epochs: int, steps_per_epoch: int,
    warmup_epochs: float = 1.0, start_factor: float = 0.01, eta_min: float = 0.0,
) -> LRScheduler:
    """Linear warm-up from `start_factor * lr` over `warmup_epochs`, then cosine to `eta_min`."""
    if not 0 < warmup_epochs < epochs:
        raise ValueError(f"warmup_epochs={warmup_epochs} must be in (0, epochs={epochs})")
    total = epochs * steps_per_epoch
    warmup = min(total - 1, max(1, round(warmup_epochs * steps_per_epoch)))
    ramp = lr_scheduler.LinearLR(optimizer, start_factor=start_factor, total_iters=warmup)
    decay = lr_scheduler.CosineAnnealingLR(optimizer, T_max=total - warmup, eta_min=eta_min)
    return lr_scheduler.SequentialLR(optimizer, [ramp, decay], milestones=[warmup])
