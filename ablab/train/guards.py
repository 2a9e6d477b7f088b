"""Two checks the training loop makes so a cell's status tells the truth.

- The model's output shape, on the first batch: a model with the wrong number of outputs
  would otherwise train every epoch and then fail inside scikit-learn's metrics.
- Divergence: a non-finite loss, or a finite one that has grown far past what guessing does
  (Adam at lr 1e6 reaches 4e20; such a cell is `diverged`, not `collapsed`).
"""

from __future__ import annotations

import math

import torch
from torch import nn

# A loss this many times the loss of a uniform guess is divergence: no cell that learns passes
# through it (a bad initialisation starts tens of times above chance, not thousands).
DIVERGENCE_FACTOR = 1_000.0


def chance_loss(num_classes: int, outputs: int) -> float:
    """The loss of predicting every class equally likely: ln C (ln 2 for one sigmoid output)."""
    return math.log(2.0 if outputs == 1 else float(num_classes))


def diverged(train_loss: float, limit: float) -> bool:
    return not math.isfinite(train_loss) or train_loss > limit


def check_outputs(model: nn.Module, x: torch.Tensor, classes: int) -> int:
    """The model's number of outputs per sample, checked on a few samples `x`: one logit per
    class, or 1 for two classes (a sigmoid head); a ValueError naming both otherwise."""
    __tracebackhide__ = True
    was_training = model.training
    model.eval()  # no batch-norm statistics updated, no dropout draw: results are unchanged
    with torch.no_grad():
        logits = model(x)
    model.train(was_training)
    shape = tuple(logits.shape)
    allowed = (classes,) if classes != 2 else (2, 1)
    if len(shape) != 2 or shape[1] not in allowed:
        wanted = " or ".join(f"(batch, {n})" for n in allowed)
        raise ValueError(f"model output shape {shape} does not fit the dataset's {classes} "
                         f"classes; the model must return {wanted}")
    return int(shape[1])
