"""The learning rate chosen per cell among candidates on validation (S5: 1e-3 / 1e-4 / 1e-5).

An Experiment with `lr_candidates` trains once per candidate, same seed (same initial weights
and batch order), and keeps the candidate whose kept weights (ablab.train.stopping.kept_record)
have the highest validation accuracy; a diverged candidate is never chosen, and ties go to the
earlier candidate. The test split is never looked at. The row records every candidate's
validation accuracy and the choice under metrics["lr_choice"]; its timings count the training
of every candidate (the cost of the cell), its history is the chosen candidate's.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from ablab.spec import EpochRecord, Experiment
from ablab.train.stopping import kept_record


class Trained(Protocol):
    status: str
    history: list[EpochRecord]


T = TypeVar("T", bound=Trained)


def candidates(exp: Experiment) -> list[Experiment]:
    """One plain experiment per candidate learning rate."""
    return [dataclasses.replace(exp, lr=lr, lr_candidates=()) for lr in exp.lr_candidates]


def validation_accuracy(exp: Experiment, outcome: Trained) -> float:
    """The validation accuracy of the weights the candidate ends with; -inf if it diverged."""
    if outcome.status != "ok" or not outcome.history:
        return -math.inf
    return kept_record(outcome.history, exp).val_accuracy


def choose(exp: Experiment, outcomes: Sequence[Trained]) -> tuple[int, dict[str, Any]]:
    """The index of the chosen candidate and the record stored as metrics["lr_choice"]."""
    scores = [validation_accuracy(c, o) for c, o in zip(candidates(exp), outcomes, strict=True)]
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))  # ties: the earlier one
    return best, {
        "on": "val_accuracy", "chosen": exp.lr_candidates[best],
        "candidates": list(exp.lr_candidates),
        "val_accuracy": [s if math.isfinite(s) else None for s in scores],
        "status": [o.status for o in outcomes],
        "epochs_run": [len(o.history) for o in outcomes],
    }


def train_each(exp: Experiment, train_one: Callable[[Experiment], T]) -> list[T]:
    """Every candidate trained by `train_one`, in the order given."""
    return [train_one(candidate) for candidate in candidates(exp)]
