"""ablab: a pytest-style ablation and benchmark harness for PyTorch.

The public API; everything else is importable from its sub-package but may change.
"""

from ablab.checks import check_at_chance, check_finite, check_learned
from ablab.fixtures import ClaimFixture, RunFixture, TrendFixture
from ablab.registry import (
    register_augmentation,
    register_dataset,
    register_init,
    register_loss,
    register_model,
    register_optimizer,
    register_penalty,
    register_schedule,
)
from ablab.spec import Experiment, RunResult

__all__ = [
    "ClaimFixture",
    "Experiment",
    "RunFixture",
    "RunResult",
    "TrendFixture",
    "check_at_chance",
    "check_finite",
    "check_learned",
    "register_augmentation",
    "register_dataset",
    "register_init",
    "register_loss",
    "register_model",
    "register_optimizer",
    "register_penalty",
    "register_schedule",
]
__version__ = "0.1.0"
