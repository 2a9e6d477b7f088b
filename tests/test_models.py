"""Tests generated from the model registry: every registered model builds, gives finite outputs
of the right shape, lowers its loss with one training step, and trains one smoke epoch."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import torch
from torch import nn

from ablab.data import TensorData, load_data
from ablab.registry import MODELS
from ablab.spec import Experiment
from ablab.train.build import build_model, loss_fn
from ablab.train.loop import EpochFitter, run_experiment

# Models reading (steps, features) sequences; every other model gets images (C, H, W).
SEQUENCE_MODELS = {"lstm"}
# Keyword arguments that keep a model small enough for a CPU test (the architecture is the same).
SMALL: dict[str, dict[str, Any]] = {
    "vgg11": {"head_hidden": 32}, "vgg16": {"head_hidden": 32}, "alexnet": {"head_hidden": 32},
    "ae_classifier": {"encoder": (32, 16), "head": 16, "pretrain_epochs": 1},
    "sklearn_mlp": {"hidden": (16,)},
}
TRAIN_SAMPLES = 16  # the smoke epoch runs on this many samples per split
BATCH = 8  # the fixed batch of the forward and one-step tests
STEP_LR = 1e-3  # small enough that one SGD step lowers the loss of every model


def model_names() -> list[str]:
    return MODELS.names()


def input_shape(name: str) -> tuple[int, ...]:
    return (5, 3) if name in SEQUENCE_MODELS else (1, 8, 8)


def experiment(name: str, **changes: Any) -> Experiment:
    dataset = "sequences" if name in SEQUENCE_MODELS else "digits"
    exp = Experiment(dataset=dataset, model=name, model_kwargs=SMALL.get(name, {}), epochs=1,
                     batch_size=8, device="cpu", optimizer="sgd", lr=1e-2)
    return dataclasses.replace(exp, **changes)


def fixed_batch(name: str, classes: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    x = torch.rand((BATCH, *input_shape(name)), generator=generator)
    return x, torch.arange(BATCH) % classes


def batch_data(name: str) -> TensorData:
    x, y = fixed_batch(name)
    return TensorData(x, y, x, y, x, y, ("a", "b", "c", "d"), "fixed-batch")


def seeded_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    torch.manual_seed(1)  # the same dropout masks before and after the step
    return loss_fn(model(x), y)


# Models this large get the gradient check instead of the one-step check (see below).
CURVED_PARAMETERS = 20_000_000


@pytest.mark.parametrize("name", model_names())
def test_forward_shape_and_finite(name: str) -> None:
    exp = experiment(name)
    model = build_model(exp, batch_data(name))
    x, y = fixed_batch(name)
    if isinstance(model, EpochFitter):
        model.fit_epoch(x, y, exp)  # an estimator predicts only once fitted
    model.eval()
    with torch.no_grad():
        out = model(x)
    assert out.shape == (BATCH, 4)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", model_names())
def test_one_step_lowers_the_loss(name: str) -> None:
    exp = experiment(name)
    data = batch_data(name)
    model = build_model(exp, data)
    x, y = data.x_train, data.y_train
    if isinstance(model, EpochFitter):
        model.fit_epoch(x, y, exp)  # the first call initialises the estimator
        model.eval()
        before = loss_fn(model(x), y).item()
        model.fit_epoch(x, y, exp)
        model.eval()
        assert loss_fn(model(x), y).item() < before
        return
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=STEP_LR)
    loss = seeded_loss(model, x, y)
    optimizer.zero_grad()
    loss.backward()
    if sum(p.numel() for p in model.parameters()) > CURVED_PARAMETERS:
        # One fixed step is no test here: on 8x8 inputs resnet50's loss moves +-10 % either way
        # even at lr 1e-5, by thread count (it failed at 1 thread, passed at 2). What must hold
        # is that a finite, non-zero gradient reaches every trainable parameter.
        grads = [p.grad for p in model.parameters() if p.requires_grad]
        assert all(g is not None and bool(torch.isfinite(g).all()) for g in grads)
        assert sum(float(g.pow(2).sum()) for g in grads if g is not None) > 0
        return
    optimizer.step()
    with torch.no_grad():
        assert seeded_loss(model, x, y).item() < loss.item()


@pytest.mark.parametrize("name", model_names())
def test_trains_one_smoke_epoch(name: str) -> None:
    exp = experiment(name)
    data = load_data(exp)
    n = TRAIN_SAMPLES  # every split cut to n samples: the big networks are slow on a CPU
    data = dataclasses.replace(data, x_train=data.x_train[:n], y_train=data.y_train[:n],
                               x_val=data.x_val[:n], y_val=data.y_val[:n],
                               x_test=data.x_test[:n], y_test=data.y_test[:n])
    result = run_experiment(exp, data)
    assert result.status in ("ok", "collapsed")
    assert len(result.history) == 1
    assert result.history[0].samples_seen == TRAIN_SAMPLES
    assert 0.0 <= result.accuracy <= 1.0


def test_lstm_rejects_images() -> None:
    with pytest.raises(ValueError, match="steps, features"):
        MODELS.get("lstm")(input_shape=(1, 8, 8), num_classes=3)
