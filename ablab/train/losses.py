"""Built-in training losses. A factory is `(**kwargs) -> (logits, targets) -> loss`.

Validation and test losses stay plain cross-entropy (`ablab.train.build.loss_fn`) whatever a
cell trains with, so that the losses of cells with different training losses compare.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from ablab.registry import register_loss

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@register_loss
def cross_entropy(*, label_smoothing: float = 0.0) -> LossFn:
    """Cross-entropy with label smoothing; on a single-output sigmoid head, binary
    cross-entropy whose 0 / 1 targets are smoothed the same way (towards 1/2)."""
    if not 0 <= label_smoothing < 1:
        raise ValueError(f"label_smoothing={label_smoothing} must be in [0, 1)")

    def loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if logits.shape[1] == 1:
            target = y.to(logits.dtype) * (1 - label_smoothing) + label_smoothing / 2
            return F.binary_cross_entropy_with_logits(logits[:, 0], target)
        return F.cross_entropy(logits, y, label_smoothing=label_smoothing)

    return loss


@register_loss
def mse() -> LossFn:
    """Squared error of the predicted probabilities against one-hot targets (the Brier score;
    on a sigmoid head, of the sigmoid against the 0 / 1 target)."""

    def loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if logits.shape[1] == 1:
            return F.mse_loss(torch.sigmoid(logits[:, 0]), y.to(logits.dtype))
        target = F.one_hot(y, logits.shape[1]).to(logits.dtype)
        return F.mse_loss(logits.softmax(1), target)

    return loss
