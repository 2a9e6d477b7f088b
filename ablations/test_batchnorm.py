"""Study S3 (MNIST), batch norm on / off in the CNN: [3x3 conv with 4 filters, (batch norm),
ReLU, 2x2 max pool] twice, then one linear layer to 10. Claim: batch norm does not hurt (the
CI's lower bound of bn - no_bn lies above -MARGIN)."""

from __future__ import annotations

import dataclasses

import pytest

from ablab import ClaimFixture, RunFixture
from ablab.checks import check_learned
from ablab.spec import Experiment
from ablations.setups import s3_models

STUDY = "batchnorm"
CONTROL = "no_bn"  # what the report compares every variant with: the CNN without batch norm


def base(profile: str) -> Experiment:
    """S3's CNN on its baseline training (ablations/setups.py: full MNIST, 10 epochs at batch
    64, 'valid' convolutions; smoke digits, 16 filters, 'same' padding, batch 32); the test
    sets batch norm on or off."""
    return s3_models(profile)["cnn"]


MARGIN = 0.02  # batch norm may cost at most this much accuracy and still "not hurt"
LEARN_MARGIN = {"smoke": 0.4, "full": 0.5}  # above the majority-class rate (about 0.1)


@pytest.mark.parametrize("batch_norm", [True, False], ids=["bn", "no_bn"])
def test_batchnorm(run: RunFixture, profile: str, batch_norm: bool, seed: int) -> None:
    exp = base(profile)
    exp = dataclasses.replace(exp, model_kwargs={**exp.model_kwargs, "batch_norm": batch_norm})
    check_learned(run(exp), LEARN_MARGIN[profile])


def test_batchnorm_does_not_hurt(claim: ClaimFixture) -> None:
    comparison = claim("bn", "no_bn")
    assert comparison.not_worse(MARGIN), comparison.describe()
