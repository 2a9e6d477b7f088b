"""Study S1 (malaria cells), dropout placement x rate: between the convolution blocks or after
the fully connected layers, p in {0.2, 0.4, 0.5}, against no dropout, with He initialisation.
S1 reported that dropout narrows the train / validation loss gap; the claim reports whether the
seeds support that."""

from __future__ import annotations

import dataclasses

import pytest

from ablab import ClaimFixture, RunFixture
from ablab.checks import check_learned
from ablab.spec import Experiment
from ablations.setups import s1_cnn

STUDY = "dropout"
CONTROL = "none"  # what the report compares every variant with: no dropout


def base(profile: str) -> Experiment:
    """S1's CNN with He init (ablations/setups.py): digits in smoke, malaria cells in full."""
    return s1_cnn(profile)


RATES = (0.2, 0.4, 0.5)
CELLS = [("none", 0.0)] + [(place, rate) for place in ("conv", "fc") for rate in RATES]
LEARN_MARGIN = {"smoke": 0.5, "full": 0.15}  # above the majority-class rate (0.1 / 0.5)


@pytest.mark.parametrize(("placement", "rate"), CELLS,
                         ids=[p if p == "none" else f"{p}-{r}" for p, r in CELLS])
def test_dropout(run: RunFixture, profile: str, placement: str, rate: float, seed: int) -> None:
    exp = base(profile)
    if placement != "none":
        exp = dataclasses.replace(exp, dropout=rate,
                                  model_kwargs={**exp.model_kwargs, "dropout_at": placement})
    check_learned(run(exp), LEARN_MARGIN[profile])


def test_dropout_narrows_overfit_gap(finding: ClaimFixture) -> None:
    """S1's one-run observation, reported over seeds: validation minus train loss at p=0.5 in
    each place against no dropout (a negative difference means a narrower gap)."""
    for placement in ("conv", "fc"):
        finding(f"{placement}-0.5", "none", metric="overfit_gap")
