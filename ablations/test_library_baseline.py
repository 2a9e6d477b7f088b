"""Study S6, library baseline: ablab's MLP (PyTorch) against scikit-learn's MLPClassifier with
the same configuration (layers, activation, plain SGD at lr 0.1, batch, epochs, no penalty) on
the same splits: S6's activation net [256, 128, 64] with ReLU, sigmoid (scikit-learn's
"logistic") and tanh, and one 100-unit ReLU layer of its width study. Which implementation
scores higher is reported over seeds, not asserted; both must learn, except the sigmoid net
(see SLOW_TO_START)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from ablab import ClaimFixture, RunFixture
from ablab.checks import check_finite, check_learned
from ablab.spec import Experiment
from ablations.setups import s6_training

STUDY = "library_baseline"


def base(profile: str) -> Experiment:
    """S6's training (ablations/setups.py): plain SGD, lr 0.1, batch 128. smoke: digits, 30
    epochs. full: all of MNIST's 60,000 training images, 100 epochs."""
    return s6_training(profile)


S6_LAYERS = (256, 128, 64)
CONFIGS = {"100-relu": ((100,), "relu")} | {
    f"256x128x64-{a}": (S6_LAYERS, a) for a in ("relu", "sigmoid", "tanh")}
LEARN_MARGIN = {"smoke": 0.4, "full": 0.5}  # above the majority-class rate (about 0.1)
# Three sigmoid layers under plain SGD barely move in a short budget (test_activation.py: on
# digits in 30 epochs they stay at chance): only finite, in both libraries.
SLOW_TO_START = {"256x128x64-sigmoid"}
# Per configuration: ablab's MLP is compared with scikit-learn's of the same layers and activation.
CONTROL = {f"{library}-{config}": f"sklearn-{config}"
           for config in CONFIGS for library in ("ablab", "sklearn")}


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
    result = run(exp)
    if config in SLOW_TO_START:
        check_finite(result)
    else:
        check_learned(result, LEARN_MARGIN[profile])


def test_ablab_against_sklearn(finding: ClaimFixture) -> None:
    """Reported: ablab's MLP minus scikit-learn's on each configuration."""
    for config in CONFIGS:
        finding(f"ablab-{config}", f"sklearn-{config}")
