"""ablab: a pytest-style ablation and benchmark harness for PyTorch.

The public API; everything else is importable from its sub-package but may change. Importing
ablab registers the embedded defaults: the datasets `digits` and `sequences`, the models `mlp`
and `cnn`. A project registers its own with the decorators below (see ablab.project).
"""

from ablab.checks import check_at_chance, check_finite, check_learned
from ablab.claim_fixtures import ClaimFixture, TrendFixture
from ablab.data import embedded  # noqa: F401  (importing it registers digits, sequences)
from ablab.data.loading import load_data
from ablab.fixtures import RunFixture
from ablab.registry import register_dataset, register_model
from ablab.search.spec import Search, register_search
from ablab.spec import Experiment, RunResult
from ablab.train import models  # noqa: F401  (importing it registers mlp, cnn)
from ablab.train.loop import run_experiment

__all__ = [
    "ClaimFixture",
    "Experiment",
    "RunFixture",
    "RunResult",
    "Search",
    "TrendFixture",
    "check_at_chance",
    "check_finite",
    "check_learned",
    "load_data",
    "register_dataset",
    "register_model",
    "register_search",
    "run_experiment",
]
__version__ = "0.1.0"
