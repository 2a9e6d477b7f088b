"""Architectures side by side on the same data and budget. Study S3 (MNIST): the MLP against
the CNN; claim: the CNN is not worse than the MLP on image data. Study S4 (Fashion-MNIST
subset): the CNN against the autoencoder classifier (reported). Study S5 (many-class images):
a scratch CNN against VGG16 and ResNet50 from scratch and from ImageNet weights, each with its
learning rate chosen on validation among S5_LRS, and their soft-voting ensemble as a row of its
own (reported; full profile only, on any class-folder image set). Study S6: a frozen pretrained
AlexNet with a small classifier on a two-class CIFAR-10 subset (full profile only)."""

from __future__ import annotations

import dataclasses
import os

import pytest

from ablab import ClaimFixture, EnsembleFixture, RunFixture
from ablab.checks import check_learned
from ablab.spec import Experiment
from ablations.setups import expanded, names_from_env, s3_models
from models.zoo import BUILDERS, weights_path

STUDY = "architecture"
# Per write-up: S3 the MLP, S4 the plain CNN (does autoencoder pre-training help?), S5 the CNN
# trained from scratch, S6 its one arm.
CONTROL = {"s3-*": "s3-mlp", "s4-*": "s4-cnn", "s5-*": "s5-scratch",
           "s6-*": "s6-alexnet-frozen"}
# S5's class-folder images (e.g. the 104 flowers): ABLAB_IMAGE_FOLDER, absolute or relative
# to the data root. Not shipped in ../shared/data, so S5 skips there with the reason.
IMAGE_FOLDER = os.environ.get("ABLAB_IMAGE_FOLDER") or "flowers"  # empty: unset
S5_LRS = (1e-3, 1e-4, 1e-5)  # S5 chooses each model's learning rate among these on validation
# S5's deep networks (models/zoo.py names), each from scratch and from ImageNet weights; the
# study's are VGG16 and ResNet50. ABLAB_S5_NETS=resnet18 (comma-separated) swaps in smaller
# zoo networks with the same cells otherwise (the end-to-end test on a CPU does).
S5_DEEP = names_from_env("ABLAB_S5_NETS", ("vgg16", "resnet50"), BUILDERS, "a zoo network")
S5_NETS = ("scratch", *S5_DEEP, *(f"{net}-imagenet" for net in S5_DEEP))


def base(profile: str) -> dict[str, Experiment]:
    """Every cell, per profile. smoke (digits): S3 MLP 128-64 (dropout 0.3) vs S3 CNN (16
    filters, batch norm) with Adam, batch 32, 10 epochs; S4 CNN vs autoencoder classifier
    (encoder 48-32, head 64, 10 pretraining epochs), He, batch 100, 20 epochs, no augmentation
    (digits are not mirror-symmetric). full: S3 on MNIST, the baseline's 10 epochs at batch 64
    (ablations/setups.py); S4's CNN and autoencoder classifier both on the 4x augmented
    Fashion-MNIST labels 1/3/5/7/9, 15 epochs; S5 scratch CNN / VGG16 / ResNet50
    on IMAGE_FOLDER at 64x64 with flip augmentation, Adam with the learning rate chosen among
    S5_LRS on validation accuracy, early stopping on validation accuracy (patience 5); S6
    AlexNet (frozen ImageNet features, 256-unit head) on CIFAR-10 airplane vs automobile."""
    s3 = Experiment(optimizer="adam", lr=1e-3, batch_size=32)
    s3_mlp = dataclasses.replace(s3, model="mlp", dropout=0.3, model_kwargs={"hidden": (128, 64)})
    s4 = Experiment(init="he", optimizer="adam", lr=1e-3, batch_size=100)
    if profile == "smoke":
        s3_cnn = {"channels": (16, 16), "kernel": 3, "padding": 1, "batch_norm": True,
                  "linear": ()}
        s4_cnn = {"channels": (8, 8, 16, 16), "kernel": 3, "padding": 1, "pool_at": "last",
                  "linear": (32,)}
        s4_ae = {"encoder": (48, 32), "head": 64, "pretrain_epochs": 10}
        s3, s4 = (dataclasses.replace(e, dataset="digits", epochs=n) for e, n in
                  ((s3, 10), (s4, 20)))
        s3_mlp = dataclasses.replace(s3_mlp, dataset="digits", epochs=10)
        return {"s3-mlp": s3_mlp, "s3-cnn": dataclasses.replace(s3, model="cnn",
                                                                model_kwargs=s3_cnn),
                "s4-cnn": dataclasses.replace(s4, model="cnn", model_kwargs=s4_cnn),
                "s4-autoencoder": dataclasses.replace(s4, model="ae_classifier",
                                                      model_kwargs=s4_ae)}
    s3_full = s3_models(profile)
    s4 = expanded(dataclasses.replace(s4, dataset="fashion_mnist",
                                      dataset_kwargs={"classes": (1, 3, 5, 7, 9)}, epochs=15),
                  "4x")
    s5 = expanded(Experiment(dataset="image_folder",
                             dataset_kwargs={"path": IMAGE_FOLDER, "size": 64}, optimizer="adam",
                             batch_size=32, epochs=50, patience=5, monitor="val_accuracy",
                             lr=S5_LRS[0], lr_candidates=S5_LRS), "flip")
    s5_scratch = {"channels": (32, 64, 128, 256), "convs_per_block": 2, "batch_norm": True,
                  "batch_norm_at": "block", "linear": (1024, 1024)}
    cells = {
        "s3-mlp": s3_full["mlp"],
        "s3-cnn": s3_full["cnn"],
        "s4-cnn": dataclasses.replace(s4, model="cnn",
                                      model_kwargs={"channels": (10, 20, 40, 64), "kernel": 5,
                                                    "padding": 1, "pool_at": "last",
                                                    "linear": (256,)}),
        "s4-autoencoder": dataclasses.replace(s4, model="ae_classifier",
                                              model_kwargs={"encoder": (392, 196, 98, 32),
                                                            "head": 256,
                                                            "pretrain_epochs": 15}),
        "s5-scratch": dataclasses.replace(s5, model="cnn", model_kwargs=s5_scratch),
        "s6-alexnet-frozen": Experiment(
            dataset="cifar10", dataset_kwargs={"binary": (0, 1)}, model="alexnet",
            model_kwargs={"pretrained": True, "freeze_features": True, "head_hidden": 256},
            optimizer="adam", lr=1e-3, batch_size=64, epochs=10),
    }
    for net in S5_DEEP:
        cells[f"s5-{net}"] = dataclasses.replace(s5, model=net)
        cells[f"s5-{net}-imagenet"] = dataclasses.replace(s5, model=net,
                                                          model_kwargs={"pretrained": True})
    return cells


MARGIN = 0.01  # the CNN may trail the MLP by at most this much and still be "not worse"
LEARN_MARGIN = 0.3  # above the majority-class rate for every cell
ARTIFACTS = {  # what each study's figures need (see ablab.train.artifacts)
    "s3": ("predictions", "embeddings", "samples", "filters"),
    "s4": ("reconstructions",),
    "s5": ("predictions",),
    "s6": ("predictions",),
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The cells depend on the profile: S5 and S6 exist only with their real data."""
    if "cell" in metafunc.fixturenames:
        metafunc.parametrize("cell", list(base(metafunc.config.getoption("ablab_profile"))))


def missing_weights(exp: Experiment) -> str | None:
    """Why a pretrained cell cannot run here (its ImageNet weights are never downloaded)."""
    if exp.model_kwargs.get("pretrained") and not weights_path(exp.model).is_file():
        return f"needs ImageNet weights at {weights_path(exp.model)} (never downloaded)"
    return None


def test_architecture(run: RunFixture, profile: str, cell: str, seed: int) -> None:
    exp = base(profile)[cell]
    missing = missing_weights(exp)
    if missing:
        pytest.skip(f"{cell}: {missing}")
    result = run(exp, artifacts=ARTIFACTS[cell.partition("-")[0]])
    check_learned(result, LEARN_MARGIN)


def test_s5_ensemble(ensemble: EnsembleFixture, profile: str, seed: int) -> None:
    """S5's soft vote (mean softmax on the test split) of its trained models, as the row
    `s5-ensemble`: the S5 cells of this session (those with their weights here)."""
    if profile == "smoke":
        pytest.skip("S5 runs in the full profile only (it needs a class-folder image set)")
    cells = base(profile)
    members = {f"s5-{net}": cells[f"s5-{net}"] for net in S5_NETS
               if missing_weights(cells[f"s5-{net}"]) is None}
    result = ensemble("s5-ensemble", members)
    check_learned(result, LEARN_MARGIN)


def test_cnn_not_worse_than_mlp(claim: ClaimFixture) -> None:
    comparison = claim("s3-cnn", "s3-mlp")
    assert comparison.not_worse(MARGIN), comparison.describe()


def test_cnn_against_autoencoder(finding: ClaimFixture) -> None:
    """Reported: S4's CNN against its autoencoder classifier."""
    finding("s4-cnn", "s4-autoencoder")


def test_scratch_against_deep_networks(
    finding: ClaimFixture, profile: str
) -> None:
    """Reported (full profile): S5's scratch CNN against each deep network."""
    if profile == "smoke":
        pytest.skip("S5 runs in the full profile only (it needs a class-folder image set)")
    for net in S5_NETS[1:]:
        finding(f"s5-{net}", "s5-scratch")
