"""The training loop on the embedded digits: real training, checked for its invariants."""

from __future__ import annotations

import dataclasses
import math
import sys
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from ablab.data import TensorData, load_data
from ablab.registry import INITS, MODELS
from ablab.spec import EpochRecord, Experiment
from ablab.train.loop import run_experiment, train
from ablab.train.metrics import (
    classification_metrics,
    is_collapsed,
    overfit_epoch,
    time_to_accuracy,
)

FAST = Experiment(dataset="digits", epochs=3, batch_size=64, device="cpu")


@pytest.fixture(scope="module")
def digits() -> TensorData:
    return load_data(FAST)


def test_learns_digits_and_records_history(digits: TensorData) -> None:
    result = run_experiment(dataclasses.replace(FAST, init="he"), digits)
    assert result.status == "ok"
    assert result.accuracy > 0.8
    assert [h.epoch for h in result.history] == [1, 2, 3]
    assert result.history[-1].samples_seen == 3 * len(digits.y_train)
    assert result.history[-1].train_loss < result.history[0].train_loss
    assert result.timings["samples_per_second"] > 0
    assert len(result.metrics["confusion_matrix"]) == 10
    assert sum(map(sum, result.metrics["confusion_matrix"])) == len(digits.y_test)
    assert 0.5 < result.metrics["roc_auc"] <= 1.0


def test_same_seed_same_result_other_seed_other_result(digits: TensorData) -> None:
    a = run_experiment(FAST, digits)
    b = run_experiment(FAST, digits)
    c = run_experiment(dataclasses.replace(FAST, seed=1), digits)
    assert [h.train_loss for h in a.history] == [h.train_loss for h in b.history]
    assert a.history[-1].train_loss != c.history[-1].train_loss


def test_a_diverging_run_ends_with_status_diverged(digits: TensorData) -> None:
    exp = dataclasses.replace(FAST, optimizer="sgd", lr=1e12, init="normal", epochs=5)
    result = run_experiment(exp, digits)
    assert result.status == "diverged"
    assert not math.isfinite(result.history[-1].train_loss)
    assert len(result.history) < 5


def test_zeros_init_collapses_onto_one_class(digits: TensorData) -> None:
    result = run_experiment(dataclasses.replace(FAST, init="zeros"), digits)
    assert result.status == "collapsed"
    assert result.metrics["collapsed"] is True
    assert result.accuracy < 0.2


def test_early_stopping_stops_on_a_validation_plateau(digits: TensorData) -> None:
    exp = dataclasses.replace(FAST, epochs=200, patience=2, lr=0.01)
    outcome = train(exp, digits)
    assert outcome.stopped_early
    assert len(outcome.history) < 200
    losses = [h.val_loss for h in outcome.history]
    assert min(losses[-2:]) >= min(losses[:-2])  # the last `patience` epochs did not improve


def test_penalties_shrink_the_weights(digits: TensorData) -> None:
    def weight_norm(penalty: str, weight: float) -> float:
        kwargs = {"weight": weight} if weight else {}
        exp = dataclasses.replace(FAST, penalty=penalty, penalty_kwargs=kwargs, epochs=5)
        model = train(exp, digits).model
        return sum(p.abs().sum().item() for p in model.parameters() if p.dim() > 1)

    free = weight_norm("none", 0.0)
    assert weight_norm("l1", 1e-3) < 0.7 * free
    assert weight_norm("l2", 1e-2) < 0.7 * free


def test_one_host_sync_per_epoch_not_per_step(
    digits: TensorData, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    original_item, original_tolist = torch.Tensor.item, torch.Tensor.tolist

    def counting(original: Any) -> Any:
        def read(self: torch.Tensor) -> Any:
            # Only ablab's own reads count: Adam keeps its step counters as CPU scalars.
            nonlocal calls
            calls += sys._getframe(1).f_globals["__name__"].startswith("ablab")
            return original(self)
        return read

    monkeypatch.setattr(torch.Tensor, "item", counting(original_item))
    monkeypatch.setattr(torch.Tensor, "tolist", counting(original_tolist))
    exp = dataclasses.replace(FAST, batch_size=16, epochs=2)  # ~75 steps per epoch
    train(exp, digits)
    assert calls <= 2 * 4  # train loss, train accuracy, val loss, val accuracy per epoch


def test_sigmoid_head_trains_with_binary_cross_entropy(digits: TensorData) -> None:
    keep_train, keep_test = digits.y_train < 2, digits.y_test < 2
    keep_val = digits.y_val < 2
    binary = dataclasses.replace(
        digits, x_train=digits.x_train[keep_train], y_train=digits.y_train[keep_train],
        x_val=digits.x_val[keep_val], y_val=digits.y_val[keep_val],
        x_test=digits.x_test[keep_test], y_test=digits.y_test[keep_test], classes=("0", "1"),
    )
    exp = dataclasses.replace(FAST, model="cnn", model_kwargs={"output": "sigmoid"})
    result = run_experiment(exp, binary)
    assert result.status == "ok"
    assert result.accuracy > 0.9
    assert result.metrics["roc_auc"] > 0.9


def test_time_to_accuracy_counts_epochs_and_training_seconds() -> None:
    history = [EpochRecord(i, 1.0, 0.5, 1.0, acc, 10 * i, 2.0)
               for i, acc in enumerate([0.3, 0.6, 0.9], start=1)]
    assert time_to_accuracy(history, 0.6) == {"epochs_to_target": 2.0, "seconds_to_target": 4.0}
    never = time_to_accuracy(history, 0.95)
    assert math.isnan(never["epochs_to_target"])
    assert time_to_accuracy(history, None) == {}


def test_overfit_epoch_is_where_validation_loss_turns_up() -> None:
    def history(val_losses: list[float]) -> list[EpochRecord]:
        return [EpochRecord(i, 0.1, 0.9, v, 0.8, 10 * i, 1.0)
                for i, v in enumerate(val_losses, start=1)]

    assert overfit_epoch(history([0.9, 0.5, 0.4, 0.45, 0.6])) == 3.0
    assert math.isnan(overfit_epoch(history([0.9, 0.5, 0.4])))  # still falling at the end
    assert math.isnan(overfit_epoch(history([0.9])))


def test_metrics_of_a_known_prediction() -> None:
    y = np.array([0, 0, 1, 1])
    probs = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.3, 0.7]])
    metrics = classification_metrics(y, probs, ("a", "b"))
    assert metrics["accuracy"] == 0.75
    assert metrics["confusion_matrix"] == [[1, 1], [0, 2]]
    assert metrics["per_class"]["b"] == pytest.approx(
        {"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2})
    assert metrics["roc_auc"] == 1.0
    assert metrics["collapsed"] is False


def test_collapse_needs_one_class_for_nearly_everything() -> None:
    y = np.array([0] * 50 + [1] * 30 + [2] * 20)
    assert is_collapsed(y, np.zeros(100, dtype=int), 3)
    assert not is_collapsed(y, y, 3)
    assert not is_collapsed(np.zeros(100, dtype=int), np.zeros(100, dtype=int), 3)


@pytest.mark.parametrize(("scheme", "kwargs", "check"), [
    ("zeros", {}, lambda w: bool((w == 0).all())),
    ("he", {}, lambda w: abs(w.std().item() - math.sqrt(2 / w.shape[1])) < 0.02),
    ("normal", {}, lambda w: abs(w.std().item() - 1.0) < 0.05),
    ("normal", {"std": 0.1}, lambda w: abs(w.std().item() - 0.1) < 0.005),
    ("xavier_uniform", {}, lambda w: w.abs().max().item() <= math.sqrt(6 / sum(w.shape))),
    ("orthogonal", {"gain": 2.0},
     lambda w: torch.allclose(w @ w.T, 4 * torch.eye(w.shape[0]), atol=1e-4)),
])
def test_init_schemes(scheme: str, kwargs: dict[str, float], check: object) -> None:
    torch.manual_seed(0)
    model: nn.Module = MODELS.get("mlp")(input_shape=(512,), num_classes=10, hidden=(256,))
    INITS.get(scheme)(model, **kwargs)
    linear = next(m for m in model.modules() if isinstance(m, nn.Linear))
    assert callable(check)
    assert check(linear.weight)
    assert (linear.bias == 0).all()
