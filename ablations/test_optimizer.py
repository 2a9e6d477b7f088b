"""Study S3 (MNIST), the optimiser of the MLP (128-64, ReLU, dropout 0.3): plain SGD, SGD with
momentum 0.9, Adam and AdamW (decoupled weight decay 0.01), each at its usual learning rate, with
a constant rate and with cosine annealing to zero over the run. Claims: Adam is not worse than
plain SGD; AdamW's weight decay does not hurt Adam. Reported: cosine against constant for each
optimiser (on these short budgets the annealed rate cuts the late progress)."""

from __future__ import annotations

import dataclasses

import pytest

from ablab import ClaimFixture, RunFixture
from ablab.checks import check_learned
from ablab.spec import Experiment
from ablations.setups import s3_models

STUDY = "optimizer"
CONTROL = "sgd"  # what the report compares every variant with: plain SGD, constant rate

# Each optimiser at its usual rate: momentum 0.9 at 0.01 takes SGD's effective step of 0.1.
RATES = {"sgd": 0.1, "momentum": 0.01, "adam": 1e-3, "adamw": 1e-3}
CELLS = {**{name: (name, "constant") for name in RATES},
         **{f"{name}-cosine": (name, "cosine") for name in RATES}}


def base(profile: str) -> Experiment:
    """S3's MLP (ablations/setups.py), batch 32. smoke: digits, 10 epochs. full: MNIST,
    5 epochs."""
    return dataclasses.replace(s3_models(profile)["mlp"], batch_size=32,
                               epochs=10 if profile == "smoke" else 5)


MARGIN = 0.02  # "not worse": at most this much accuracy below, at the CI's confidence
LEARN_MARGIN = {"smoke": 0.5, "full": 0.5}  # above the majority-class rate (about 0.1)


@pytest.mark.parametrize("cell", list(CELLS))
def test_optimizer(run: RunFixture, profile: str, cell: str, seed: int) -> None:
    optimizer, schedule = CELLS[cell]
    exp = dataclasses.replace(base(profile), optimizer=optimizer, lr=RATES[optimizer],
                              schedule=schedule)
    check_learned(run(exp), LEARN_MARGIN[profile])


def test_adam_not_worse_than_sgd(claim: ClaimFixture) -> None:
    comparison = claim("adam", "sgd")
    assert comparison.not_worse(MARGIN), comparison.describe()


def test_adamw_weight_decay_does_not_hurt(claim: ClaimFixture) -> None:
    comparison = claim("adamw", "adam")
    assert comparison.not_worse(MARGIN), comparison.describe()


def test_cosine_against_constant(claim: ClaimFixture, pytestconfig: pytest.Config) -> None:
    """Reported: each optimiser with cosine annealing against its constant rate."""
    for name in RATES:
        comparison = claim(f"{name}-cosine", name)
        assert comparison.n == pytestconfig.getoption("ablab_seeds"), comparison.describe()
