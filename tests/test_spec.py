"""Experiment validation and keys."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from ablab.spec import Experiment

BAD_FIELDS = [
    ({"model": "nope"}, "unknown model 'nope'; known models: "),
    ({"dataset": "nope"}, "unknown dataset 'nope'; known datasets: "),
    ({"init": "kaiming"}, "unknown init 'kaiming'; known inits: default, he, normal, orthogonal"),
    ({"init": "normal", "init_kwargs": {"std": 0.0}}, "init_kwargs={'std': 0.0}: std=0.0 must be"),
    ({"lr": 0.0}, "lr=0.0 is not allowed; lr must be a finite number > 0"),
    ({"lr": float("nan")}, "lr=nan is not allowed"),
    ({"batch_size": 0}, "batch_size=0 is not allowed; batch_size must be an integer > 0"),
    ({"epochs": -1}, "epochs=-1 is not allowed"),
    ({"optimizer": "lbfgs"}, "unknown optimizer 'lbfgs'; known optimizers: adagrad, adam, adamw"),
    ({"optimizer_kwargs": {"momentum": 0.9}},
     "optimizer_kwargs: optimizer 'adam' takes no argument 'momentum'; it takes: betas, eps"),
    ({"optimizer": "sgd", "optimizer_kwargs": {"momentum": -1.0}}, "Invalid momentum value"),
    ({"schedule": "cosine_restarts"}, "unknown schedule 'cosine_restarts'; known schedules: "),
    ({"schedule": "linear_warmup_cosine", "epochs": 1},
     "warmup_epochs=1.0 must be in (0, epochs=1)"),
    ({"schedule": "step", "schedule_kwargs": {"every": 10}}, "every=10 must be in [1, epochs=10)"),
    ({"loss": "hinge"}, "unknown loss 'hinge'; known losses: cross_entropy, mse"),
    ({"loss_kwargs": {"label_smoothing": 1.0}}, "label_smoothing=1.0 must be in [0, 1)"),
    ({"loss": "mse", "loss_kwargs": {"label_smoothing": 0.1}},
     "loss_kwargs: loss 'mse' takes no argument 'label_smoothing'; it takes: none"),
    ({"penalty": "l1"}, "penalty_kwargs: penalty 'l1' needs the argument 'weight'"),
    ({"penalty": "l2", "penalty_kwargs": {"weight": -1.0}}, "weight=-1.0 must be > 0"),
    ({"grad_clip": 0.0}, "grad_clip=0.0 is not allowed; grad_clip must be None (off) or a max"),
    ({"dropout": 1.0}, "dropout=1.0 is not allowed; dropout must be in [0, 1)"),
    ({"augmentation": "4x"}, "unknown augmentation '4x'; known augmentations: crop, flip"),
    ({"augmentation": "crop", "augmentation_kwargs": {"padding": 0}}, "padding=0 must be"),
    ({"profile": "huge"}, "profile='huge' is not allowed; choose one of smoke, full"),
    ({"device": "tpu"}, "device='tpu' is not allowed"),
    ({"val_fraction": 0.6, "test_fraction": 0.5}, "val_fraction + test_fraction=1.1"),
    ({"model_kwargs": {"depth": 3}}, "model 'mlp' takes no argument 'depth'; it takes: hidden"),
    ({"model_kwargs": {"activation": "gelu"}}, "activation='gelu' is not allowed; choose one of"),
    ({"window": 2}, "dataset 'digits' takes no argument 'window'"),
    # One channel per knob: the promoted fields may not be set inside the factories' kwargs too.
    ({"model_kwargs": {"dropout": 0.5}, "dropout": 0.5},
     "model_kwargs['dropout']=0.5 is not allowed; set the field dropout= instead"),
    ({"dataset": "sequences", "dataset_kwargs": {"window": 3}},
     "dataset_kwargs['window']=3 is not allowed; set the field window= instead"),
]


@pytest.mark.parametrize(("fields", "message"), BAD_FIELDS)
def test_bad_fields_name_the_problem_and_the_allowed_values(
    fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as error:
        Experiment(**fields)
    assert "\n" not in str(error.value)


def test_replace_validates_too() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        dataclasses.replace(Experiment(), batch_size=-5)


def test_key_is_stable_and_depends_on_the_knobs_and_the_data() -> None:
    base = Experiment()
    assert base.key("fp") == Experiment().key("fp")
    changed = [
        dataclasses.replace(base, lr=0.01), dataclasses.replace(base, seed=1),
        dataclasses.replace(base, model_kwargs={"hidden": (32,)}),
        dataclasses.replace(base, init="he"), dataclasses.replace(base, epochs=3),
    ]
    keys = {base.key("fp"), *(e.key("fp") for e in changed)}
    assert len(keys) == len(changed) + 1
    assert base.key("fp") != base.key("other-data")


def test_cell_key_ignores_only_the_seed() -> None:
    a, b = Experiment(seed=0), Experiment(seed=7)
    assert a.cell_key("fp") == b.cell_key("fp")
    assert a.key("fp") != b.key("fp")
    assert a.cell_key("fp") != dataclasses.replace(a, lr=0.5).cell_key("fp")


def test_experiments_hash_by_value() -> None:
    a, b = Experiment(model_kwargs={"hidden": (8,)}), Experiment(model_kwargs={"hidden": (8,)})
    assert len({a, b, dataclasses.replace(a, seed=1)}) == 2


def test_round_trip_through_a_dict() -> None:
    exp = Experiment(model="cnn", model_kwargs={"channels": [4, 4]}, init="he", seed=3)
    assert Experiment.from_dict(exp.as_dict()) == exp


DATA_CHANGES: list[dict[str, Any]] = [
    {"seed": 1}, {"val_fraction": 0.2}, {"test_fraction": 0.2}, {"window": 2},
    {"dataset_kwargs": {"n_steps": 500}}, {"dataset": "digits", "model": "mlp"},
    {"label_noise": 0.3}]
OTHER_CHANGES: list[dict[str, Any]] = [
    {"lr": 0.1}, {"epochs": 3}, {"init": "he"}, {"batch_size": 8},
    {"model_kwargs": {"hidden": (8,)}}, {"dropout": 0.1}, {"profile": "full"},
    {"device": "cpu"}, {"patience": 2}, {"augmentation": "noise"}, {"schedule": "cosine"},
    {"optimizer": "sgd", "optimizer_kwargs": {"momentum": 0.5}}, {"grad_clip": 1.0}]


def test_data_identity_follows_the_data_fields_and_nothing_else() -> None:
    """Session.data caches loaded tensors by it: cells of one study share one load."""
    base = Experiment(dataset="sequences", model="mlp")
    changed = {dataclasses.replace(base, **c).data_identity() for c in DATA_CHANGES}
    assert len(changed - {base.data_identity()}) == len(DATA_CHANGES)
    assert {dataclasses.replace(base, **c).data_identity() for c in OTHER_CHANGES} == {
        base.data_identity()}
