"""The studies' model families beyond the generic registry tests: S4's two-stage autoencoder
classifier, the scikit-learn baseline, and the CNN layouts of S3, S4 and S5."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import torch
import torchvision
from torch import nn

from ablab.data import load_data
from ablab.registry import MODELS
from ablab.spec import Experiment
from ablab.train.loop import run_experiment
from models.autoencoder import AEClassifier
from models.sklearn_mlp import SklearnMLP
from models.zoo import Upsampled, weights_path


def test_ae_classifier_pretrains_then_classifies() -> None:
    exp = Experiment(dataset="digits", model="ae_classifier", epochs=5, lr=3e-3,
                     device="cpu",
                     model_kwargs={"encoder": (32, 16), "head": 32, "pretrain_epochs": 15})
    data = load_data(exp)
    result = run_experiment(exp, data)
    losses = result.metrics["pretrain"]["reconstruction_loss"]
    assert len(losses) == 15
    assert losses[-1] < losses[0]
    model = result.model
    assert isinstance(model, AEClassifier)
    originals = data.x_test[:50]
    images = model.reconstruct(originals)
    assert images.shape == originals.shape
    # The pretrained autoencoder reconstructs better than the mean training image does (after
    # 3 pretraining epochs it did not yet: 0.073 against 0.070; after 15, 0.057).
    mean_image = data.x_train.mean(0, keepdim=True).expand_as(originals)
    error = nn.functional.mse_loss(images, originals)
    assert error < nn.functional.mse_loss(mean_image, originals)
    assert result.accuracy > 0.5
    # Captured at the end of pretraining: about its last epoch's loss on the training inputs,
    # while the fine-tuned encoder with the untouched decoder reconstructs worse.
    train = data.x_train
    at_end = nn.functional.mse_loss(model.reconstruct(train), train).item()
    assert at_end < 1.1 * losses[-1]
    with torch.no_grad():
        assert nn.functional.mse_loss(model.autoencoder(train), train).item() > 1.1 * at_end


def test_ae_classifier_freeze_keeps_the_pretrained_encoder() -> None:
    exp = Experiment(dataset="digits", model="ae_classifier", epochs=1, device="cpu",
                     model_kwargs={"encoder": (16,), "head": 8, "pretrain_epochs": 0,
                                   "freeze_encoder": True})
    data = load_data(exp)
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
    assert result.accuracy > 0.8
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


def test_pretrained_without_local_weights_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    expected = tmp_path / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    with pytest.raises(FileNotFoundError, match=re.escape(str(expected))):
        MODELS.get("resnet18")(input_shape=(3, 32, 32), num_classes=2, pretrained=True)


def test_pretrained_loads_local_weights_and_freezes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stand-in ImageNet weights (a seeded random ResNet-18) saved where torchvision keeps
    them: the model must load them, adapt the stem to 1 channel and train only its head."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    torch.manual_seed(3)
    reference = torchvision.models.resnet18(weights=None)
    path = weights_path("resnet18")
    path.parent.mkdir(parents=True)
    torch.save(reference.state_dict(), path)
    model = MODELS.get("resnet18")(input_shape=(1, 28, 28), num_classes=2, pretrained=True,
                                   freeze_features=True)
    assert isinstance(model, Upsampled)
    network = model.network
    assert isinstance(network, torchvision.models.ResNet)
    assert torch.equal(network.layer1[0].conv1.weight, reference.layer1[0].conv1.weight)
    summed = reference.conv1.weight.sum(dim=1, keepdim=True)
    assert torch.allclose(network.conv1.weight, summed, atol=1e-6)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["network.fc.weight", "network.fc.bias"]
    assert model(torch.rand(2, 1, 28, 28)).shape == (2, 2)


@pytest.mark.parametrize("name", ["vgg11", "alexnet", "resnet18"])
def test_zoo_takes_small_inputs(name: str) -> None:
    kwargs = {} if name.startswith("resnet") else {"head_hidden": 16}
    model = MODELS.get(name)(input_shape=(1, 28, 28), num_classes=10, **kwargs)
    model.eval()
    assert model(torch.rand(2, 1, 28, 28)).shape == (2, 10)
