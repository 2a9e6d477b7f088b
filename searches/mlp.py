"""`mlp_search`: the MLP (width, width/2) with Adam; learning rate, dropout, width, batch size."""

from __future__ import annotations

from typing import Any

import optuna

from ablab import Experiment, Search, register_search

MLP_WIDTHS = (32, 64, 128, 256)
MLP_BATCH_SIZES = (16, 32, 64, 128)


def mlp_base(profile: str) -> Experiment:
    """smoke: digits, 15 epochs. full: MNIST with study S3's MLP settings."""
    if profile == "smoke":
        return Experiment(dataset="digits", model="mlp", epochs=15, optimizer="adam",
                          profile=profile)
    return Experiment(dataset="mnist", model="mlp", epochs=10, optimizer="adam",
                      profile=profile)


def mlp_space(trial: optuna.Trial) -> dict[str, Any]:
    width = trial.suggest_categorical("width", MLP_WIDTHS)
    return {
        "lr": trial.suggest_float("lr", 1e-4, 3e-2, log=True),
        "dropout": trial.suggest_float("dropout", 0.0, 0.5),
        "model_kwargs": {"hidden": (width, width // 2)},
        "batch_size": trial.suggest_categorical("batch_size", MLP_BATCH_SIZES),
    }


MLP_SEARCH = register_search(Search(
    name="mlp_search",
    description="MLP (width, width/2): learning rate, dropout, width, batch size; Adam",
    base=mlp_base, space=mlp_space, pruner="median",
))
