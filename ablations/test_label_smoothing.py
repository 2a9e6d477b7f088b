"""Study S3 (MNIST), label smoothing of the CNN's cross-entropy: 0 (plain), 0.1 and 0.2.
Smoothing trains towards less confident outputs, so the test cross-entropy (always unsmoothed,
see ablab.train.build.loss_fn) rises with it while accuracy should stay. Claims: smoothing 0.1
does not hurt test accuracy; the test loss rises along 0, 0.1, 0.2 (a trend over seeds)."""

from __future__ import annotations

import dataclasses

import pytest

from ablab import ClaimFixture, RunFixture, TrendFixture
from ablab.checks import check_learned
from ablab.spec import Experiment
from ablations.setups import s3_models

STUDY = "label_smoothing"
CONTROL = "0.0"  # what the report compares every variant with: plain cross-entropy

SMOOTHING = (0.0, 0.1, 0.2)


def base(profile: str) -> Experiment:
    """S3's CNN with batch norm (ablations/setups.py), batch 32. smoke: digits, 10 epochs.
    full: MNIST, 5 epochs."""
    return dataclasses.replace(s3_models(profile)["cnn"], batch_size=32,
                               epochs=10 if profile == "smoke" else 5)


MARGIN = 0.02  # smoothing may cost at most this much accuracy and still "not hurt"
LEARN_MARGIN = {"smoke": 0.5, "full": 0.5}  # above the majority-class rate (about 0.1)


@pytest.mark.parametrize("smoothing", SMOOTHING, ids=[str(s) for s in SMOOTHING])
def test_label_smoothing(run: RunFixture, profile: str, smoothing: float, seed: int) -> None:
    kwargs = {"label_smoothing": smoothing} if smoothing else {}
    exp = dataclasses.replace(base(profile), loss="cross_entropy", loss_kwargs=kwargs)
    check_learned(run(exp), LEARN_MARGIN[profile])


def test_smoothing_does_not_hurt_accuracy(claim: ClaimFixture) -> None:
    comparison = claim("0.1", "0.0")
    assert comparison.not_worse(MARGIN), comparison.describe()


def test_smoothing_raises_the_test_loss(claim_trend: TrendFixture) -> None:
    trend = claim_trend([str(s) for s in SMOOTHING], metric="loss")
    assert trend.ci_low > 0, trend.describe()
