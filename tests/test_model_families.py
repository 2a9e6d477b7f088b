"""The studies' model families beyond the generic registry tests: S4's two-stage autoencoder
classifier, the scikit-learn baseline, and the CNN layouts of S3, S4 and S5."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from ablab.data import load_data
from ablab.registry import MODELS
from ablab.spec import Experiment
from ablab.train import run_experiment
from models.autoencoder import AEClassifier
from models.sklearn_mlp import SklearnMLP


def test_ae_classifier_pretrains_then_classifies() -> None:
    exp = Experiment(dataset="digits", model="ae_classifier", epochs=5, lr=3e-3,
                     device="cpu",
                     model_kwargs={"encoder": (32, 16), "head": 32, "pretrain_epochs": 3})
    data = load_data(exp)
    result = run_experiment(exp, data)
    losses = result.metrics["pretrain"]["reconstruction_loss"]
    assert len(losses) == 3
    assert losses[-1] < losses[0]
    model = result.model
    assert isinstance(model, AEClassifier)
    images = model.reconstruct(data.x_test[:5])
    assert images.shape == data.x_test[:5].shape
    assert 0.0 <= images.min()
    assert images.max() <= 1.0
    assert result.test_accuracy > 0.5


def test_ae_classifier_freeze_keeps_the_pretrained_encoder() -> None:
    exp = Experiment(dataset="digits", model="ae_classifier", epochs=1, device="cpu",
                     model_kwargs={"encoder": (16,), "head": 8, "pretrain_epochs": 0,
                                   "freeze_encoder": True})
    data = load_data(exp)
    torch.manual_seed(0)
    result = run_experiment(exp, data)
    model = result.model
    assert isinstance(model, AEClassifier)
    again = run_experiment(dataclasses.replace(exp, epochs=2), data).model
    assert isinstance(again, AEClassifier)
    # with no pretraining and a frozen encoder, more epochs leave the encoder as built
    first = model.autoencoder.encoder[1]
    second = again.autoencoder.encoder[1]
    assert isinstance(first, nn.Linear)
    assert isinstance(second, nn.Linear)
    assert torch.equal(first.weight, second.weight)


def test_sklearn_mlp_history_is_its_loss_curve_and_early_stopping_restores() -> None:
    exp = Experiment(dataset="digits", model="sklearn_mlp", model_kwargs={"hidden": (32,)},
                     epochs=4, lr=1e-2, batch_size=64, device="cpu")
    data = load_data(exp)
    result = run_experiment(exp, data)
    model = result.model
    assert isinstance(model, SklearnMLP)
    curve = model.estimator.loss_curve_
    assert [h.train_loss for h in result.history] == pytest.approx(curve)
    assert result.test_accuracy > 0.8
    # the best-weights copy is the estimator itself (it rides in state_dict's extra state)
    state = model.state_dict()
    clone = MODELS.get("sklearn_mlp")(input_shape=(1, 8, 8), num_classes=10, hidden=(32,))
    clone.load_state_dict(state)
    assert torch.equal(clone(data.x_test), model(data.x_test))


def count(model: nn.Module, kind: type[nn.Module]) -> int:
    return sum(isinstance(m, kind) for m in model.modules())


def test_cnn_layouts_of_the_studies() -> None:
    make = MODELS.get("cnn")
    s3 = make(input_shape=(1, 28, 28), num_classes=10, channels=(4, 4), batch_norm=True,
              linear=())
    assert count(s3, nn.MaxPool2d) == 2
    assert count(s3, nn.BatchNorm2d) == 2
    s4 = make(input_shape=(1, 28, 28), num_classes=5, channels=(10, 20, 40, 64), kernel=5,
              padding=1, pool_at="last", linear=(256,))
    assert count(s4, nn.MaxPool2d) == 1
    assert [m.out_channels for m in s4.modules() if isinstance(m, nn.Conv2d)] == [10, 20, 40, 64]
    assert s4(torch.zeros(2, 1, 28, 28)).shape == (2, 5)
    s5 = make(input_shape=(3, 64, 64), num_classes=104, channels=(32, 64, 128, 256),
              convs_per_block=2, batch_norm=True, batch_norm_at="block", linear=(1024, 1024))
    block = s5[0][0]
    kinds = [type(m) for m in block]
    assert kinds == [nn.Conv2d, nn.ReLU, nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.BatchNorm2d]
    assert s5(torch.zeros(2, 3, 64, 64)).shape == (2, 104)
