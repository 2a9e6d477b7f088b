"""The full profile's comparisons are the studies' own (STUDIES.md): the two cells of each pair
differ in exactly the setting compared, and that setting has the study's values."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from ablab.spec import Experiment
from ablations import (
    test_architecture,
    test_batch_size,
    test_batchnorm,
    test_epochs,
    test_hidden_units,
)
from ablations.setups import s3_models


def differences(a: Experiment, b: Experiment) -> dict[str, tuple[Any, Any]]:
    """The fields (model_kwargs per key) in which two cells differ."""
    out = {f.name: (getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)
           if f.name != "model_kwargs" and getattr(a, f.name) != getattr(b, f.name)}
    for key in a.model_kwargs.keys() | b.model_kwargs.keys():
        if a.model_kwargs.get(key) != b.model_kwargs.get(key):
            out[f"model_kwargs.{key}"] = (a.model_kwargs.get(key), b.model_kwargs.get(key))
    return out


BASELINE = s3_models("full")


@pytest.mark.parametrize(("model", "epochs"), [("mlp", 10), ("cnn", 5)])
def test_s3_batch_size_pairs_run_at_the_epochs_the_study_used(model: str, epochs: int) -> None:
    cell = test_batch_size.base("full")[model]
    pair = [dataclasses.replace(cell, batch_size=b) for b in (32, 64)]
    assert differences(*pair) == {"batch_size": (32, 64)}
    assert differences(pair[1], BASELINE[model]) == (
        {} if epochs == 10 else {"epochs": (epochs, 10)})


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_s3_epochs_pairs_are_against_the_baseline(model: str) -> None:
    five = dataclasses.replace(test_epochs.base("full")[model], epochs=5)
    assert differences(five, BASELINE[model]) == {"epochs": (5, 10)}
    assert (BASELINE[model].epochs, BASELINE[model].batch_size) == (10, 64)  # the study's


def test_s3_depth_and_batch_norm_are_against_the_baseline() -> None:
    depth = test_hidden_units.base("full")["depth"]
    three = dataclasses.replace(depth, model_kwargs={"hidden": (128, 64, 32),
                                                     "activation": "relu"})
    assert differences(three, BASELINE["mlp"]) == {
        "model_kwargs.hidden": ((128, 64, 32), (128, 64))}
    cnn = test_batchnorm.base("full")
    no_bn = dataclasses.replace(cnn, model_kwargs={**cnn.model_kwargs, "batch_norm": False})
    assert differences(no_bn, BASELINE["cnn"]) == {"model_kwargs.batch_norm": (False, True)}


def test_s3_and_s4_architecture_pairs_share_data_and_budget() -> None:
    cells = test_architecture.base("full")
    assert differences(cells["s3-mlp"], BASELINE["mlp"]) == {}
    assert differences(cells["s3-cnn"], BASELINE["cnn"]) == {}
    s4 = differences(cells["s4-cnn"], cells["s4-autoencoder"])
    assert {k for k in s4 if not k.startswith("model_kwargs.")} == {"model"}
    assert cells["s4-cnn"].augmentation == "4x"  # S4 trains both on the 4x set
