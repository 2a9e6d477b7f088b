"""S4's protocol as a dataset: another registered dataset whose training split is enlarged with
transformed copies once, before training (not an engine augmentation: those are random batch
transforms inside the loop, see ablab.data.augment)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

import torch

from ablab.data import DataContext, TensorData
from ablab.registry import DATASETS, register_dataset

NOISE_AMPLITUDE = 0.1  # additive uniform noise in [-a, a] on pixels scaled to [0, 1]
Copies = Literal["flip", "noise", "both", "4x"]


def _flip(x: torch.Tensor) -> torch.Tensor:
    return torch.flip(x, dims=(-1,))


def _noise(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    noise = (torch.rand(x.shape, generator=generator) * 2 - 1) * NOISE_AMPLITUDE
    return (x + noise).clamp(0, 1)


def expand(
    x: torch.Tensor, y: torch.Tensor, copies: Copies, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """`flip`, `noise` and `both` add one transformed copy of every image (flipped, noisy,
    noisy-flipped) to the originals; `4x` adds all three, the Fashion-MNIST study's protocol."""
    if x.dim() != 4:
        raise ValueError(f"expanded: copies={copies!r} needs images (N, C, H, W); this dataset "
                         f"has shape {tuple(x.shape)}")
    generator = torch.Generator().manual_seed(seed)
    # Every option is drawn, in this order, whichever is asked for: the noise each one gets is
    # that of the engine's former `augment`, so S4's cells train on the same images as before.
    made = {
        "flip": [_flip(x)],
        "noise": [_noise(x, generator)],
        "both": [_noise(_flip(x), generator)],
        "4x": [_flip(x), _noise(x, generator), _noise(_flip(x), generator)],
    }[copies]
    return torch.cat([x, *made]), y.repeat(1 + len(made))


@register_dataset
def expanded(
    *, ctx: DataContext, source: str, copies: Copies, source_kwargs: dict[str, Any] | None = None,
) -> TensorData:
    """Dataset `source` (with `source_kwargs`), its training split expanded with `copies`;
    validation and test splits untouched."""
    kwargs = source_kwargs or {}
    DATASETS.check(source, kwargs)
    data: TensorData = DATASETS.get(source)(ctx=ctx, **kwargs)
    x, y = expand(data.x_train, data.y_train, copies, ctx.seed)
    return replace(data, x_train=x, y_train=y, fingerprint=f"{data.fingerprint}+{copies}")
