"""Study S3 (MNIST), the training / test split ratio of the MLP. The write-up compared split
ratios from one run each; the claim reports whether the seeds support a difference between the
largest and the smallest training share."""

from __future__ import annotations

import dataclasses

import pytest

from ablab import ClaimFixture, RunFixture
from ablab.checks import check_learned
from ablab.spec import Experiment
from ablations.setups import s3_models

STUDY = "split_ratio"
CONTROL = "train-0.7"  # what the report compares every variant with: a 70 / 30 split

# Share of the data used for training (training + validation); the rest is the test split.
TRAIN_SHARES = (0.5, 0.6, 0.7, 0.8, 0.9)
MNIST_TRAIN = 60_000
LEARN_MARGIN = {"smoke": 0.5, "full": 0.5}  # above the majority-class rate (about 0.1)


def base(profile: str) -> Experiment:
    """S3's MLP (784-128-64-10, ReLU, dropout 0.3), Adam 1e-3. smoke: digits, 10 epochs at
    batch 32; the share sets the test fraction. full: MNIST on S3's baseline, 10 epochs at
    batch 64 (ablations/setups.py); MNIST ships a fixed
    10,000-image test file, so the share sets how much of the 60,000-image training file is
    used and every variant is scored on the same test file."""
    mlp = Experiment(model="mlp", dropout=0.3, model_kwargs={"hidden": (128, 64)},
                     optimizer="adam", lr=1e-3, batch_size=32, epochs=10)
    if profile == "smoke":
        return mlp
    return s3_models(profile)["mlp"]


def experiment(profile: str, share: float) -> Experiment:
    exp = base(profile)
    if profile == "smoke":
        return dataclasses.replace(exp, test_fraction=round(1 - share, 2), val_fraction=0.1)
    return dataclasses.replace(exp, dataset_kwargs={"train_subset": int(share * MNIST_TRAIN)})


@pytest.mark.parametrize("share", TRAIN_SHARES, ids=[f"train-{s}" for s in TRAIN_SHARES])
def test_split_ratio(run: RunFixture, profile: str, share: float, seed: int) -> None:
    check_learned(run(experiment(profile, share)), LEARN_MARGIN[profile])


def test_largest_against_smallest_training_share(
    finding: ClaimFixture
) -> None:
    """Reported, not asserted: does 90 % training data beat 50 % over seeds?"""
    finding("train-0.9", "train-0.5")
