"""The studies' shared model setups, defined once: each study module's `base(profile)` starts
from these and says what it changes."""

from __future__ import annotations

import dataclasses
from typing import Any

from ablab.spec import Experiment


def s1_cnn(profile: str) -> Experiment:
    """S1's CNN with He init, Adam 1e-3, batch 64, 10 epochs. smoke: digits. full: malaria
    cells at 32x32 with a single sigmoid output."""
    if profile == "smoke":
        return Experiment(dataset="digits", model="cnn",
                          model_kwargs={"channels": (16, 32), "linear": (64,)},
                          init="he", optimizer="adam", lr=1e-3, batch_size=64, epochs=10)
    return Experiment(dataset="malaria", dataset_kwargs={"size": 32}, model="cnn",
                      model_kwargs={"channels": (16, 32), "linear": (64,), "output": "sigmoid"},
                      init="he", optimizer="adam", lr=1e-3, batch_size=64, epochs=10)


def s3_models(profile: str, **data_fields: Any) -> dict[str, Experiment]:
    """S3's MLP (128-64, ReLU, dropout 0.3) and CNN ([3x3 conv x4, batch norm, ReLU, max pool]
    x2, linear to 10), Adam 1e-3, with `data_fields` set on both. smoke: digits, 16 filters,
    'same' padding (4 filters on 8x8 digits leave 16 features). full: MNIST, 'valid'
    convolutions as written."""
    if profile == "smoke":
        data = Experiment(dataset="digits", optimizer="adam", lr=1e-3, **data_fields)
        channels, padding = (16, 16), 1
    else:
        data = Experiment(dataset="mnist", optimizer="adam", lr=1e-3, **data_fields)
        channels, padding = (4, 4), 0
    return {
        "mlp": dataclasses.replace(data, model="mlp", dropout=0.3,
                                   model_kwargs={"hidden": (128, 64), "activation": "relu"}),
        "cnn": dataclasses.replace(data, model="cnn",
                                   model_kwargs={"channels": channels, "kernel": 3,
                                                 "padding": padding, "batch_norm": True,
                                                 "linear": ()}),
    }


def s6_training(profile: str) -> Experiment:
    """S6's training: an MLP with plain SGD, lr 0.1, batch 128. smoke: digits, 30 epochs.
    full: a 10,000-image MNIST training subset (so wide nets can overfit), 100 epochs."""
    if profile == "smoke":
        return Experiment(dataset="digits", model="mlp", optimizer="sgd", lr=0.1,
                          batch_size=128, epochs=30)
    return Experiment(dataset="mnist", dataset_kwargs={"train_subset": 10_000}, model="mlp",
                      optimizer="sgd", lr=0.1, batch_size=128, epochs=100)


def expanded(exp: Experiment, copies: str) -> Experiment:
    """S4's copies are made once, before training: the repository's `expanded` dataset (not the
    engine's `augmentation`, which transforms each batch afresh inside the loop)."""
    if copies == "none":
        return exp
    return dataclasses.replace(exp, dataset="expanded", dataset_kwargs={
        "source": exp.dataset, "source_kwargs": exp.dataset_kwargs, "copies": copies})
