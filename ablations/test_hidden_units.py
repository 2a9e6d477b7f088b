"""Width and depth of an MLP. Study S6: one hidden layer of 5, 20, 50, 100 or 200 units, SGD
at lr 0.1 for 100 epochs (the write-up saw the large widths overfit). Study S3: depth 128-64 vs
128-64-32 (ReLU, dropout 0.3). Both observations are reported over seeds, not asserted."""

from __future__ import annotations

import dataclasses

import pytest

from ablab import ClaimFixture, RunFixture
from ablab.checks import check_learned
from ablab.spec import Experiment
from ablations.setups import s3_models, s6_training

STUDY = "hidden_units"
CONTROL = "width-100"  # what the report compares every variant with: a mid-sized layer


def base(profile: str) -> dict[str, Experiment]:
    """width (S6): one hidden ReLU layer, SGD lr 0.1, batch 128. smoke: digits, 30 epochs.
    full: all 60,000 MNIST training images, 100 epochs.
    depth (S3): S3's MLP on its baseline training (ablations/setups.py: full MNIST, 10 epochs
    at batch 64; smoke digits, batch 32), 128-64 against 128-64-32."""
    return {"width": s6_training(profile), "depth": s3_models(profile)["mlp"]}


CELLS = [("width", (units,)) for units in (5, 20, 50, 100, 200)] + [
    ("depth", (128, 64)), ("depth", (128, 64, 32))]
LEARN_MARGIN = {"smoke": 0.4, "full": 0.5}  # above the majority-class rate (about 0.1)
# Five ReLU units under plain SGD can lose some to dead units: over seeds 0..9 of the smoke
# profile width-5 reached 0.456-0.93 (mean 0.77, sd 0.12; 0.456 at seed 7, failing 0.4 above
# chance). Its sanity check asks for three times chance; the other cells' 10-seed minimum is
# 0.885 (width-20). The full profile's figure is unmeasured (100 epochs on 60,000 images).
NARROW_MARGIN = {"smoke": 0.2, "full": 0.5}


def cell_id(axis: str, hidden: tuple[int, ...]) -> str:
    return f"{axis}-{'x'.join(map(str, hidden))}"


@pytest.mark.parametrize(("axis", "hidden"), CELLS, ids=[cell_id(*c) for c in CELLS])
def test_hidden_units(
    run: RunFixture, profile: str, axis: str, hidden: tuple[int, ...], seed: int
) -> None:
    exp = base(profile)[axis]
    exp = dataclasses.replace(exp, model_kwargs={"hidden": hidden, "activation": "relu"})
    margins = NARROW_MARGIN if hidden == (5,) else LEARN_MARGIN
    check_learned(run(exp), margins[profile])


def test_wide_layers_overfit(finding: ClaimFixture) -> None:
    """Reported: is validation minus train loss larger at 200 units than at 20 (S6)?"""
    finding("width-200", "width-20", metric="overfit_gap")


def test_third_layer(finding: ClaimFixture) -> None:
    """Reported: does 128-64-32 beat 128-64 (S3)?"""
    finding("depth-128x64x32", "depth-128x64")
