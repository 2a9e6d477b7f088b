"""Study S6, learning rate of an MLP trained with plain SGD: 0.1, 0.01 and 0.001, 100 epochs
each. The write-up saw lr 0.001 not converge in that budget; the claim reports over seeds how
far it stays behind lr 0.1 rather than asserting it."""

from __future__ import annotations

import dataclasses

import pytest

from ablab import ClaimFixture, RunFixture
from ablab.checks import check_finite, check_learned
from ablab.spec import Experiment
from ablations.setups import s6_training

STUDY = "learning_rate"
CONTROL = "0.1"  # what the report compares every variant with: S6's rate for its other studies


def base(profile: str) -> Experiment:
    """One hidden ReLU layer of 100 units, plain SGD, batch 128. smoke: digits, 30 epochs.
    full: all 60,000 MNIST training images, 100 epochs."""
    return dataclasses.replace(s6_training(profile),
                               model_kwargs={"hidden": (100,), "activation": "relu"})


LEARN_MARGIN = {"smoke": 0.4, "full": 0.5}  # above the majority-class rate (about 0.1)


@pytest.mark.parametrize("lr", [0.1, 0.01, 0.001])
def test_learning_rate(run: RunFixture, profile: str, lr: float, seed: int) -> None:
    result = run(dataclasses.replace(base(profile), lr=lr))
    if lr == 0.001:
        check_finite(result)  # slow by design (S6): it need not have learned yet
    else:
        check_learned(result, LEARN_MARGIN[profile])


def test_small_rate_lags(finding: ClaimFixture) -> None:
    """Reported: lr 0.1 against lr 0.001 on test accuracy and test loss (S6)."""
    for metric in ("accuracy", "loss"):
        finding("0.1", "0.001", metric=metric)
