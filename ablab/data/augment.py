"""Built-in augmentations: batch transforms run on the device inside the training loop, fresh
randomness per batch, no host round trip. A factory is `(**kwargs) -> (x, generator) -> x` for a
training batch `x` (N, C, H, W), or returns None for no transform. Validation and test batches are
never augmented."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from ablab.registry import register_augmentation

BatchTransform = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def images(x: torch.Tensor) -> torch.Tensor:
    """The built-ins transform images; the loop tries the transform on two training samples
    before it trains, so anything else is a one-line error there."""
    if x.dim() != 4:
        raise ValueError(f"needs images (N, C, H, W); this dataset's batches have shape "
                         f"{tuple(x.shape)}")
    return x


def _uniform(x: torch.Tensor, shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    return torch.rand(shape, generator=generator, device=x.device, dtype=x.dtype)


@register_augmentation
def none() -> BatchTransform | None:
    return None


@register_augmentation
def flip(*, p: float = 0.5) -> BatchTransform | None:
    """Mirror each image left-right with probability `p`."""
    if not 0 < p <= 1:
        raise ValueError(f"p={p} must be in (0, 1]")

    def transform(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        mirrored = _uniform(images(x), (len(x), 1, 1, 1), generator) < p
        return torch.where(mirrored, x.flip(-1), x)

    return transform


@register_augmentation
def noise(*, amplitude: float = 0.1) -> BatchTransform | None:
    """Add uniform noise in [-amplitude, amplitude] to every pixel."""
    if not amplitude > 0:
        raise ValueError(f"amplitude={amplitude} must be > 0")

    def transform(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return x + (_uniform(images(x), x.shape, generator) * 2 - 1) * amplitude

    return transform


@register_augmentation
def crop(*, padding: int = 2) -> BatchTransform | None:
    """Zero-pad by `padding` pixels and cut a random window of the original size per image."""
    if not padding > 0:
        raise ValueError(f"padding={padding} must be an integer > 0")

    def transform(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        n, _, h, w = images(x).shape
        padded = F.pad(x, (padding, padding, padding, padding))
        shifts = (_uniform(x, (2, n), generator) * (2 * padding + 1)).long()
        rows = shifts[0, :, None] + torch.arange(h, device=x.device)  # (N, H)
        cols = shifts[1, :, None] + torch.arange(w, device=x.device)  # (N, W)
        batch = torch.arange(n, device=x.device)[:, None, None]
        # padded[b, :, rows[b, i], cols[b, j]] for every b, i, j: (N, H, W, C) -> (N, C, H, W)
        return padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]].permute(
            0, 3, 1, 2)

    return transform
