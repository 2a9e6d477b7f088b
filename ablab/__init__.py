"""ablab: a pytest-style ablation and benchmark harness for PyTorch.

The public API; everything else is importable from its sub-package but may change. Importing
ablab registers the embedded defaults: the datasets `digits` and `sequences`, the models `mlp`
and `cnn`, and the built-in optimisers, schedules, losses, inits, penalties and augmentations.
A project registers its own with the decorators below (see ablab.project).
"""

# Importing augment, embedded and the train modules registers the built-ins (see above).
from ablab.checks import check_at_chance, check_finite, check_learned
from ablab.claim_fixtures import ClaimFixture, TrendFixture
from ablab.data import augment, embedded  # noqa: F401  (importing them registers the built-ins)
from ablab.data.loading import load_data
from ablab.fixtures import EnsembleFixture, RunFixture
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
from ablab.search.spec import Search, register_search
from ablab.spec import Experiment, RunResult
from ablab.train import (  # noqa: F401
    initializers,
    losses,
    models,
    optimizers,
    penalties,
    schedules,
)
from ablab.train.loop import run_experiment

__all__ = [
    "ClaimFixture",
    "EnsembleFixture",
    "Experiment",
    "RunFixture",
    "RunResult",
    "Search",
    "TrendFixture",
    "check_at_chance",
    "check_finite",
    "check_learned",
    "load_data",
    "register_augmentation",
    "register_dataset",
    "register_init",
    "register_loss",
    "register_model",
    "register_optimizer",
    "register_penalty",
    "register_schedule",
    "register_search",
    "run_experiment",
]
__version__ = "0.1.0"
