"""Per-cell sanity checks: chance level, finiteness, the collapse flag and learning."""

from __future__ import annotations

import math
from typing import Any

import pytest

from ablab.checks import check_at_chance, check_finite, check_learned, majority_share
from ablab.spec import EpochRecord, Experiment, RunResult


def result(status: str = "ok", accuracy: float = 0.9, loss: float = 0.3,
           support: tuple[int, ...] = (50, 30, 20), train_loss: float = 0.2) -> RunResult:
    per_class: dict[str, Any] = {str(i): {"support": s} for i, s in enumerate(support)}
    metrics = {"accuracy": accuracy, "f1_macro": accuracy, "loss": loss, "per_class": per_class}
    history = [EpochRecord(1, train_loss, 0.5, 0.4, 0.5, 100, 0.1)]
    return RunResult(Experiment(), "k", status, metrics, history, {}, "fp")


def test_majority_share_is_the_chance_level() -> None:
    assert majority_share(result(support=(50, 30, 20))) == pytest.approx(0.5)


def test_learned_cell_passes() -> None:
    check_learned(result(accuracy=0.9), margin=0.2)


@pytest.mark.parametrize(("status", "accuracy", "message"), [
    ("collapsed", 0.9, "collapsed onto one class"),
    ("ok", 0.6, "not above chance"),
    ("diverged", 0.9, "diverged"),
])
def test_learning_failures_name_the_problem(status: str, accuracy: float, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        check_learned(result(status=status, accuracy=accuracy), margin=0.2)


def test_non_finite_loss_fails_even_without_divergence_status() -> None:
    with pytest.raises(AssertionError, match="non-finite loss"):
        check_finite(result(loss=math.nan))
    with pytest.raises(AssertionError, match="epoch 1 losses"):
        check_finite(result(train_loss=math.inf))


def test_at_chance_needs_the_collapse_flag() -> None:
    check_at_chance(result(status="collapsed", accuracy=0.5), margin=0.05)
    with pytest.raises(AssertionError, match="collapse flag"):
        check_at_chance(result(status="ok", accuracy=0.5), margin=0.05)
    with pytest.raises(AssertionError, match="it learned"):
        check_at_chance(result(status="collapsed", accuracy=0.8), margin=0.05)
