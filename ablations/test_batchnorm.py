"""Study S3 (MNIST), batch norm on / off in the CNN: [3x3 conv with 4 filters, (batch norm),
ReLU, 2x2 max pool] twice, then one linear layer to 10. Claim: batch norm does not hurt (the
CI's lower bound of bn - no_bn lies above -MARGIN)."""

from __future__ import annotations

import dataclasses

import pytest

from ablab import ClaimFixture, RunFixture
from ablab.checks import check_learned
from ablab.spec import Experiment

STUDY = "batchnorm"
CONTROL = "no_bn"  # what the report compares every variant with: the CNN without batch norm


def base(profile: str) -> Experiment:
    """S3's CNN without batch norm. smoke: digits, 16 filters and 'same' padding (4 filters on
    8x8 images leave 16 features), 10 epochs, batch 32.
    full: MNIST, 'valid' 3x3 convolutions as written, Adam 1e-3, batch 32, 5 epochs."""
    if profile == "smoke":
        return Experiment(dataset="digits", model="cnn",
                          model_kwargs={"channels": (16, 16), "kernel": 3, "padding": 1,
                                        "linear": ()},
                          optimizer="adam", lr=1e-3, batch_size=32, epochs=10)
    return Experiment(dataset="mnist", model="cnn",
                      model_kwargs={"channels": (4, 4), "kernel": 3, "padding": 0,
                                    "linear": ()},
                      optimizer="adam", lr=1e-3, batch_size=32, epochs=5)


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
