"""ablab: a pytest-style ablation and benchmark harness for PyTorch.

The public API; everything else is importable from its sub-package but may change. The names
load lazily (PEP 562): `import ablab.stats.claims` or `python -m ablab report` runs this file
and must not pull in torch, so each name imports its module on first use
(`from ablab import Experiment` loads ablab.spec alone). The embedded defaults (the datasets
`digits` and `sequences`, the models `mlp` and `cnn`, and the built-in optimisers, schedules,
losses, inits, penalties and augmentations) register on the first use of any registry, a
lookup or a registration (ablab.registry.load_builtins). A project registers its own with the
decorators below (see ablab.project).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what a type checker sees: the same names, imported eagerly
    from ablab.checks import check_at_chance, check_finite, check_learned
    from ablab.claim_fixtures import ClaimFixture, TrendFixture
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
    from ablab.train.loop import run_experiment

# Public name -> the module that defines it (tests/test_lazy_api.py checks it against __all__).
_HOME = {
    "ClaimFixture": "ablab.claim_fixtures",
    "EnsembleFixture": "ablab.fixtures",
    "Experiment": "ablab.spec",
    "RunFixture": "ablab.fixtures",
    "RunResult": "ablab.spec",
    "Search": "ablab.search.spec",
    "TrendFixture": "ablab.claim_fixtures",
    "check_at_chance": "ablab.checks",
    "check_finite": "ablab.checks",
    "check_learned": "ablab.checks",
    "load_data": "ablab.data.loading",
    "register_augmentation": "ablab.registry",
    "register_dataset": "ablab.registry",
    "register_init": "ablab.registry",
    "register_loss": "ablab.registry",
    "register_model": "ablab.registry",
    "register_optimizer": "ablab.registry",
    "register_penalty": "ablab.registry",
    "register_schedule": "ablab.registry",
    "register_search": "ablab.search.spec",
    "run_experiment": "ablab.train.loop",
}

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


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use and kept; else a sub-package
    (`ablab.stats` after a bare `import ablab`, as when this file imported them eagerly)."""
    home = _HOME.get(name)
    if home is not None:
        value = getattr(importlib.import_module(home), name)
        globals()[name] = value  # the next access is a plain attribute
        return value
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
