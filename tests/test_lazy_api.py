"""ablab/__init__.py loads its public names lazily (PEP 562): the same names as before, no torch
for statistics and reports, and the built-ins registered on a registry's first use."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import pytest

import ablab
from tests.conftest import REPO

# In a fresh interpreter: what a user of the public API does, in the order a script does it.
USER = '''
import sys
import ablab.stats.claims, ablab.terminal, ablab.report.markdown, ablab.gate.compare
assert "torch" not in sys.modules, "a pure module loaded torch"
from ablab import Experiment, register_model
assert "torch" not in sys.modules, "building no Experiment yet needs no torch"
exp = Experiment(dataset="digits", model="mlp")  # the built-ins register on first lookup
from ablab.registry import DATASETS, MODELS
assert {"mlp", "cnn"} <= set(MODELS.names()) and {"digits", "sequences"} <= set(DATASETS.names())
try:
    @register_model
    def mlp(*, input_shape, num_classes):
        raise AssertionError("never built")
except ValueError as error:
    print(error)
'''


def test_every_public_name_has_a_home_and_resolves_to_it() -> None:
    homes: dict[str, str] = vars(ablab)["_HOME"]
    assert sorted(homes) == sorted(ablab.__all__)
    for name, home in homes.items():
        assert getattr(ablab, name) is getattr(importlib.import_module(home), name), name
    assert set(ablab.__all__) <= set(dir(ablab))


def test_a_sub_package_and_an_unknown_name() -> None:
    assert ablab.stats is importlib.import_module("ablab.stats")  # a bare `import ablab` had it
    with pytest.raises(AttributeError, match="module 'ablab' has no attribute 'nothing_here'"):
        _ = ablab.nothing_here


def test_pure_imports_load_no_torch_and_the_built_ins_still_register() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", USER], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    # a project's factory named like a built-in still clashes at its own registration
    assert done.stdout.strip() == "model 'mlp' is registered twice"
