"""The learning rate chosen among candidates on validation accuracy, and early stopping on
validation accuracy (ablab.train.lr_choice, ablab.train.stopping)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from ablab.data import TensorData, load_data
from ablab.spec import EpochRecord, Experiment
from ablab.train.batched import run_seeds
from ablab.train.loop import run_experiment
from ablab.train.stopping import kept_record

BASE = Experiment(model="mlp", epochs=3, patience=5, monitor="val_accuracy",
                  lr=1e-3, lr_candidates=(1e-5, 1e-3, 3.0))


@pytest.fixture(scope="module")
def digits() -> TensorData:
    return load_data(Experiment())


def test_the_best_candidate_on_validation_is_kept_and_every_one_recorded(
    digits: TensorData,
) -> None:
    chosen = run_experiment(BASE, digits)
    alone = {lr: run_experiment(dataclasses.replace(BASE, lr=lr, lr_candidates=()), digits)
             for lr in BASE.lr_candidates}
    record = chosen.metrics["lr_choice"]
    expected = [kept_record(r.history, r.experiment).val_accuracy
                if r.status != "diverged" else None
                for r in alone.values()]
    assert record["candidates"] == [1e-5, 1e-3, 3.0]
    assert record["val_accuracy"] == expected
    best = max((v, lr) for v, lr in zip(expected, alone, strict=True) if v is not None)[1]
    assert record["chosen"] == best == 1e-3  # 1e-5 barely moves in 3 epochs; 3.0 blows up
    # The cell is the chosen candidate's training: same test metrics, its history.
    assert chosen.accuracy == alone[best].accuracy
    assert [h.val_loss for h in chosen.history] == [h.val_loss for h in alone[best].history]
    assert chosen.experiment == BASE  # the identity keeps the candidates, not the choice
    assert chosen.timings["samples_seen"] == sum(r.timings["samples_seen"]
                                                 for r in alone.values())


def test_seeds_with_candidates_train_sequentially_and_say_why(digits: TensorData) -> None:
    exps = [dataclasses.replace(BASE, epochs=1, seed=s) for s in (0, 1)]
    results = run_seeds(exps, [digits, load_data(exps[1])])
    assert all("chosen among candidates" in r.metrics["training"]["reason"] for r in results)
    assert all("lr_choice" in r.metrics for r in results)


def test_kept_record_is_the_first_best_epoch_by_the_monitor() -> None:
    history = [EpochRecord(e, 1.0, 0.5, loss, acc, 10 * e, 0.1)
               for e, loss, acc in ((1, 0.9, 0.6), (2, 0.5, 0.8), (3, 0.4, 0.8), (4, 0.6, 0.7))]
    by_accuracy = Experiment(patience=5, monitor="val_accuracy")
    assert kept_record(history, by_accuracy).epoch == 2
    assert kept_record(history, Experiment(patience=5)).epoch == 3  # lowest validation loss
    assert kept_record(history, Experiment()).epoch == 4  # no early stopping: the last epoch


def test_candidates_round_trip_through_a_stored_row_with_the_same_key() -> None:
    stored = BASE.as_dict() | {"lr_candidates": list(BASE.lr_candidates)}  # JSON's list
    assert Experiment.from_dict(stored).key("fp") == BASE.key("fp")
    plain = Experiment()
    assert "lr_candidates" not in plain._identity()  # existing cells keep their keys
    assert "monitor" not in plain._identity()


@pytest.mark.parametrize(("changes", "message"), [
    ({"lr": 0.1}, r"lr=0.1 is not allowed; lr must be one of lr_candidates"),
    ({"lr_candidates": (1e-3, 1e-3)}, "distinct learning rates > 0"),
    ({"lr_candidates": (1e-3, -1.0)}, "distinct learning rates > 0"),
    ({"lr_candidates": (1e-3, math.inf)}, "lr_candidates="),
    ({"monitor": "accuracy"}, "monitor='accuracy' is not allowed; choose one of val_loss"),
])
def test_bad_candidates_and_monitor_are_one_line_errors(changes: dict[str, Any],
                                                         message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(BASE, **changes)
