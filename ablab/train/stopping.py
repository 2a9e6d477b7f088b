"""Early stopping's one rule, shared by the sequential loop and the seed-batched one: which
epoch is better, by the experiment's `monitor` (validation loss, lower is better, or validation
accuracy, higher is better). Ties are not improvements: the first best epoch is kept."""

from __future__ import annotations

import math

from ablab.spec import EpochRecord, Experiment


def score(record: EpochRecord, monitor: str) -> float:
    """Higher is better: minus the validation loss, or the validation accuracy."""
    return record.val_accuracy if monitor == "val_accuracy" else -record.val_loss


def improved(record: EpochRecord, best: float, monitor: str) -> bool:
    """Whether this epoch beats the best score so far (NaN never does)."""
    value = score(record, monitor)
    return not math.isnan(value) and value > best


def kept_record(history: list[EpochRecord], exp: Experiment) -> EpochRecord:
    """The epoch whose weights the cell ends with: with early stopping the first best epoch
    by `monitor` (the loop restores it), without it the last epoch."""
    if exp.patience is None:
        return history[-1]
    best, kept = -math.inf, history[-1]
    for record in history:
        if improved(record, best, exp.monitor):
            best, kept = score(record, exp.monitor), record
    return kept
