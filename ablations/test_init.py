"""Study S1, weight initialisation: He, Xavier, unscaled normal, zeros and PyTorch's default,
for the MLP and the CNN. Zeros must stay at chance (every unit learns the same thing)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from ablab.plugin import ClaimFixture, RunFixture
from ablab.spec import Experiment

STUDY = "init"
CONTROL = "mlp-default"  # PyTorch's own initialisation: what every other scheme is compared with
# He cells also keep what the report's figures need (confusion, ROC, t-SNE, images, filters).
HE_ARTIFACTS = ("predictions", "embeddings", "samples", "filters")


def base(profile: str) -> Experiment:
    """smoke: digits, 10 epochs. full: malaria cells at 32x32, S1's binary sigmoid CNN."""
    if profile == "smoke":
        return Experiment(dataset="digits", epochs=10, batch_size=64, optimizer="adam", lr=1e-3)
    return Experiment(dataset="malaria", dataset_kwargs={"size": 32}, epochs=10, batch_size=64,
                      optimizer="adam", lr=1e-3)

MODELS: dict[str, dict[str, Any]] = {
    "mlp": {"hidden": (128, 64)},
    "cnn": {"channels": (16, 32), "linear": (64,)},
}
CHANCE_MARGIN = 0.05  # zeros may sit this far above the majority-class rate and still be "chance"


@pytest.mark.parametrize("init", ["he", "xavier", "normal", "zeros", "default"])
@pytest.mark.parametrize("model", list(MODELS))
def test_init(run: RunFixture, profile: str, model: str, init: str, seed: int) -> None:
    exp = dataclasses.replace(base(profile), model=model, model_kwargs=MODELS[model], init=init)
    result = run(exp, artifacts=HE_ARTIFACTS if init == "he" else ())
    chance = max(result.metrics["per_class"][c]["support"]
                 for c in result.metrics["per_class"]) / sum(
        v["support"] for v in result.metrics["per_class"].values())
    if init == "zeros":
        assert result.test_accuracy <= chance + CHANCE_MARGIN, "zeros init learned something"
        assert result.status == "collapsed"
        return
    assert math.isfinite(result.final_train_loss)
    assert result.status == "ok"
    if init in ("he", "xavier"):
        assert result.test_accuracy > chance + 0.5


def test_he_beats_zeros(claim: ClaimFixture) -> None:
    for model in MODELS:
        comparison = claim(f"{model}-he", f"{model}-zeros")
        assert comparison.verdict == "better", comparison.describe()
        assert comparison.ci_low > 0.5, comparison.describe()
