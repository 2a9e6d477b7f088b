"""Study S6, library baseline: ablab's MLP (PyTorch) against scikit-learn's MLPClassifier with
the same configuration (layers, activation, plain SGD at lr 0.1, batch, epochs, no penalty) on
the same splits. Which implementation scores higher is reported over seeds, not asserted;
both must learn."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from ablab import ClaimFixture, RunFixture
from ablab.checks import check_learned
from ablab.spec import Experiment
from ablations.setups import s6_training

STUDY = "library_baseline"
CONTROL = "sklearn-100-relu"


def base(profile: str) -> Experiment:
    """Plain SGD, lr 0.1, batch 128. smoke: digits, 30 epochs. full: the 10,000-image MNIST
    training subset of S6's width study, 100 epochs."""
    return s6_training(profile)


CONFIGS = {"100-relu": ((100,), "relu"), "256x128x64-tanh": ((256, 128, 64), "tanh")}
LEARN_MARGIN = {"smoke": 0.4, "full": 0.5}  # above the majority-class rate (about 0.1)


def implementation(
    library: str, hidden: tuple[int, ...], activation: str
) -> tuple[str, dict[str, Any]]:
    """The model and its arguments for one library; scikit-learn's default L2 penalty (alpha)
    is turned off so both optimise the same unpenalised loss."""
    if library == "ablab":
        return "mlp", {"hidden": hidden, "activation": activation}
    return "sklearn_mlp", {"hidden": hidden, "activation": activation, "alpha": 0.0}


@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("library", ["ablab", "sklearn"])
def test_library_baseline(
    run: RunFixture, profile: str, library: str, config: str, seed: int
) -> None:
    model, kwargs = implementation(library, *CONFIGS[config])
    exp = dataclasses.replace(base(profile), model=model, model_kwargs=kwargs)
    check_learned(run(exp), LEARN_MARGIN[profile])


def test_ablab_against_sklearn(finding: ClaimFixture) -> None:
    """Reported: ablab's MLP minus scikit-learn's on each configuration."""
    for config in CONFIGS:
        finding(f"ablab-{config}", f"sklearn-{config}")
