"""Width and depth of an MLP. Study S6: one hidden layer of 5, 20, 50, 100 or 200 units, SGD
at lr 0.1 for 100 epochs (the write-up saw the large widths overfit). Study S3: depth 128-64 vs
128-64-32 (ReLU, dropout 0.3). Both observations are reported over seeds, not asserted."""

from __future__ import annotations

import dataclasses

import pytest

from ablab import ClaimFixture, RunFixture
from ablab.checks import check_learned
from ablab.spec import Experiment
from ablations.setups import s6_training

STUDY = "hidden_units"
CONTROL = "width-100"  # what the report compares every variant with: a mid-sized layer


def base(profile: str) -> dict[str, Experiment]:
    """width (S6): one hidden ReLU layer, SGD lr 0.1, batch 128. smoke: digits, 30 epochs.
    full: a 10,000-image MNIST training subset (so the wide nets can overfit), 100 epochs.
    depth (S3): ReLU MLP, dropout 0.3, Adam 1e-3, batch 32. smoke: digits, 10 epochs.
    full: MNIST, 5 epochs."""
    if profile == "smoke":
        depth = Experiment(dataset="digits", optimizer="adam", lr=1e-3, batch_size=32,
                           epochs=10)
    else:
        depth = Experiment(dataset="mnist", optimizer="adam", lr=1e-3, batch_size=32, epochs=5)
    return {"width": s6_training(profile),
            "depth": dataclasses.replace(depth, model="mlp", dropout=0.3)}


CELLS = [("width", (units,)) for units in (5, 20, 50, 100, 200)] + [
    ("depth", (128, 64)), ("depth", (128, 64, 32))]
LEARN_MARGIN = {"smoke": 0.4, "full": 0.5}  # above the majority-class rate (about 0.1)


def cell_id(axis: str, hidden: tuple[int, ...]) -> str:
    return f"{axis}-{'x'.join(map(str, hidden))}"


@pytest.mark.parametrize(("axis", "hidden"), CELLS, ids=[cell_id(*c) for c in CELLS])
def test_hidden_units(
    run: RunFixture, profile: str, axis: str, hidden: tuple[int, ...], seed: int
) -> None:
    exp = base(profile)[axis]
    exp = dataclasses.replace(exp, model_kwargs={"hidden": hidden, "activation": "relu"})
    check_learned(run(exp), LEARN_MARGIN[profile])


def test_wide_layers_overfit(finding: ClaimFixture) -> None:
    """Reported: is validation minus train loss larger at 200 units than at 20 (S6)?"""
    finding("width-200", "width-20", metric="overfit_gap")


def test_third_layer(finding: ClaimFixture) -> None:
    """Reported: does 128-64-32 beat 128-64 (S3)?"""
    finding("depth-128x64x32", "depth-128x64")
