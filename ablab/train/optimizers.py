"""Built-in optimisers: thin wrappers over torch.optim, one registered factory each.

A factory is `(params, *, lr, **kwargs) -> torch.optim.Optimizer`; the Experiment's `lr` and
`optimizer_kwargs` are its keyword arguments. torch validates the values (a negative momentum is
torch's ValueError), and the Experiment probes each factory at construction so that such an error
comes before anything trains.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from ablab.registry import register_optimizer

Params = Iterable[torch.nn.Parameter]
MOMENTUM = 0.9  # the `momentum` optimiser: SGD with heavy-ball momentum 0.9 (S3's protocol)


@register_optimizer
def sgd(
    params: Params, *, lr: float, momentum: float = 0.0, nesterov: bool = False,
    weight_decay: float = 0.0,
) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=nesterov,
                           weight_decay=weight_decay)


@register_optimizer
def momentum(
    params: Params, *, lr: float, momentum: float = MOMENTUM, nesterov: bool = False,
    weight_decay: float = 0.0,
) -> torch.optim.Optimizer:
    """`sgd` with momentum 0.9: the name studies and stored cell keys already use."""
    return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=nesterov,
                           weight_decay=weight_decay)


@register_optimizer
def adam(
    params: Params, *, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
    weight_decay: float = 0.0,
) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)


@register_optimizer
def adamw(
    params: Params, *, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
    weight_decay: float = 0.01,
) -> torch.optim.Optimizer:
    """Adam with decoupled weight decay (torch's default 0.01)."""
    return torch.optim.AdamW(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)


@register_optimizer
def rmsprop(
    params: Params, *, lr: float, alpha: float = 0.99, momentum: float = 0.0,
    weight_decay: float = 0.0,
) -> torch.optim.Optimizer:
    return torch.optim.RMSprop(params, lr=lr, alpha=alpha, momentum=momentum,
                               weight_decay=weight_decay)


@register_optimizer
def adagrad(
    params: Params, *, lr: float, lr_decay: float = 0.0, weight_decay: float = 0.0,
) -> torch.optim.Optimizer:
    return torch.optim.Adagrad(params, lr=lr, lr_decay=lr_decay, weight_decay=weight_decay)
