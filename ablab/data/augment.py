"""Augmentation of a training split of images (N, C, H, W), applied once before training."""

from __future__ import annotations

import torch

NOISE_AMPLITUDE = 0.1  # additive uniform noise in [-a, a] on pixels scaled to [0, 1]


def _flip(x: torch.Tensor) -> torch.Tensor:
    return torch.flip(x, dims=(-1,))


def _noise(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    noise = (torch.rand(x.shape, generator=generator) * 2 - 1) * NOISE_AMPLITUDE
    return (x + noise).clamp(0, 1)


def augment(
    x: torch.Tensor, y: torch.Tensor, mode: str, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Enlarge a training split: `flip`, `noise` and `both` add one transformed copy of every
    image (flipped, noisy, noisy-flipped) to the originals; `4x` adds all three, the
    Fashion-MNIST study's protocol. Validation and test splits are never augmented."""
    if mode == "none":
        return x, y
    if x.dim() != 4:
        raise ValueError(
            f"augmentation={mode!r} needs images (N, C, H, W); this dataset has shape "
            f"{tuple(x.shape)}"
        )
    generator = torch.Generator().manual_seed(seed)
    copies = {
        "flip": [_flip(x)],
        "noise": [_noise(x, generator)],
        "both": [_noise(_flip(x), generator)],
        "4x": [_flip(x), _noise(x, generator), _noise(_flip(x), generator)],
    }[mode]
    return torch.cat([x, *copies]), y.repeat(1 + len(copies))
