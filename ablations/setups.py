"""The studies' shared model setups, defined once: each study module's `base(profile)` starts
from these and says what it changes."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Collection, Sequence
from typing import Any

import pytest

from ablab.spec import Experiment


def names_from_env(variable: str, default: Sequence[str], allowed: Collection[str],
                   known: str) -> tuple[str, ...]:
    """A comma-separated list of names from the environment (unset or empty: `default`),
    checked where it enters: a name that is not one of `allowed` (`known` says where those
    come from) fails the module's collection in one line naming the variable and the allowed
    names, so nothing trains, instead of a traceback or cells that skip or fail one by one."""
    text = os.environ.get(variable, "")
    if not text.strip():
        return tuple(default)
    names = tuple(name.strip() for name in text.split(","))
    unknown = [name for name in names if name not in allowed]
    if unknown:
        pytest.fail(f"{variable}={text}: {', '.join(map(repr, unknown))} not {known}; "
                    f"allowed, comma-separated: {', '.join(sorted(allowed))}", pytrace=False)
    return names


S1_EPOCHS = 20  # past S1's overfitting turn (its curves turn at 12 +/- 2 epochs)
S1_TEST_FRACTION = 0.1  # S1 holds out about 10 % of the cells for its test split


def s1_data(profile: str) -> Experiment:
    """S1's data and training: Adam 1e-3, batch 64. smoke: digits, 10 epochs. full: malaria
    cells at 32x32, 10 % test split, S1_EPOCHS epochs."""
    if profile == "smoke":
        return Experiment(dataset="digits", optimizer="adam", lr=1e-3, batch_size=64, epochs=10)
    return Experiment(dataset="malaria", dataset_kwargs={"size": 32}, optimizer="adam", lr=1e-3,
                      batch_size=64, epochs=S1_EPOCHS, test_fraction=S1_TEST_FRACTION)


def s1_cnn(profile: str) -> Experiment:
    """S1's CNN (two conv blocks of 16 and 32 filters, 64 units) with He init on `s1_data`;
    full: a single sigmoid output with binary cross-entropy."""
    head = {} if profile == "smoke" else {"output": "sigmoid"}
    return dataclasses.replace(s1_data(profile), model="cnn", init="he",
                               model_kwargs={"channels": (16, 32), "linear": (64,), **head})


def s3_training(profile: str) -> dict[str, Any]:
    """S3's baseline training, Adam 1e-3. full: 10 epochs at batch 64, the studies' own
    baseline for the MLP and the CNN. smoke: 10 epochs at batch 32 on digits."""
    return {"optimizer": "adam", "lr": 1e-3, "epochs": 10,
            "batch_size": 64 if profile == "full" else 32}


def s3_models(profile: str, **changes: Any) -> dict[str, Experiment]:
    """S3's MLP (128-64, ReLU, dropout 0.3) and CNN ([3x3 conv x4, batch norm, ReLU, max pool]
    x2, linear to 10) on `s3_training`, with `changes` (e.g. epochs=5) set on both. smoke:
    digits, 16 filters, 'same' padding (4 filters on 8x8 digits leave 16 features). full:
    MNIST, 'valid' convolutions as written."""
    if profile == "smoke":
        dataset, channels, padding = "digits", (16, 16), 1
    else:
        dataset, channels, padding = "mnist", (4, 4), 0
    data = Experiment(dataset=dataset, **{**s3_training(profile), **changes})
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
    full: all of MNIST's 60,000 training images (the study's), 100 epochs."""
    if profile == "smoke":
        return Experiment(dataset="digits", model="mlp", optimizer="sgd", lr=0.1,
                          batch_size=128, epochs=30)
    return Experiment(dataset="mnist", model="mlp", optimizer="sgd", lr=0.1, batch_size=128,
                      epochs=100)


def expanded(exp: Experiment, copies: str) -> Experiment:
    """S4's copies are made once, before training: the repository's `expanded` dataset (not the
    engine's `augmentation`, which transforms each batch afresh inside the loop)."""
    if copies == "none":
        return exp
    return dataclasses.replace(exp, dataset="expanded", dataset_kwargs={
        "source": exp.dataset, "source_kwargs": exp.dataset_kwargs, "copies": copies})
