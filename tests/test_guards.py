"""Statuses that tell the truth: an exploded finite loss is `diverged`; a model with the wrong
number of outputs fails on its first batch, before any epoch trains."""

from __future__ import annotations

from pathlib import Path

import pytest
from torch import nn

from ablab.data.loading import load_data
from ablab.spec import Experiment
from ablab.train import loop
from ablab.train.guards import DIVERGENCE_FACTOR, chance_loss


def test_a_huge_finite_loss_is_diverged(tmp_path: Path) -> None:
    exp = Experiment(dataset="digits", model="mlp", optimizer="adam", lr=1e6, epochs=3,
                     device="cpu")
    data = load_data(exp, cache=tmp_path)
    result = loop.run_experiment(exp, data)
    last = result.history[-1].train_loss
    assert result.status == "diverged"
    assert last > DIVERGENCE_FACTOR * chance_loss(10, 10)


def test_a_learning_cell_is_not_diverged(tmp_path: Path) -> None:
    exp = Experiment(dataset="digits", model="mlp", epochs=2, device="cpu")
    result = loop.run_experiment(exp, load_data(exp, cache=tmp_path))
    assert result.status == "ok"


@pytest.mark.parametrize("outputs", [3, 11])
def test_wrong_output_count_fails_before_the_first_epoch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outputs: int
) -> None:
    exp = Experiment(dataset="digits", model="mlp", epochs=50, device="cpu")
    data = load_data(exp, cache=tmp_path)
    built: list[nn.Module] = []

    def wrong(*_: object) -> nn.Module:
        built.append(nn.Sequential(nn.Flatten(), nn.Linear(64, outputs)))
        return built[0]

    monkeypatch.setattr(loop, "build_model", wrong)
    epochs: list[object] = []
    with pytest.raises(ValueError, match=rf"model output shape \(2, {outputs}\) does not fit "
                                         r"the dataset's 10 classes; the model must return "
                                         r"\(batch, 10\)$"):
        loop.run_experiment(exp, data, on_epoch=epochs.append)
    assert epochs == []
    assert built
