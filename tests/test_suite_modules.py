"""The study suite under ablations/: every module exists and collects cells in both profiles,
and `-k` selects exactly one module's cells (the module names are the interface)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO, child_env

MODULES = ("init", "penalty", "dropout", "batchnorm", "batch_size", "hidden_units",
           "learning_rate", "activation", "window", "augmentation", "epochs", "architecture",
           "library_baseline", "split_ratio", "optimizer", "label_smoothing")


def collect(*args: str) -> list[str]:
    """Node ids `pytest ablations --collect-only` prints, run from the repository root."""
    env = {**child_env(), "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "ablations", "--collect-only", "-q",
         "-p", "no:cacheprovider", "--ablab-db", "sqlite://", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return [line for line in done.stdout.splitlines() if "::" in line]


def module_of(node_id: str) -> str:
    return node_id.split("::")[0].removeprefix("ablations/test_").removesuffix(".py")


@pytest.mark.parametrize("profile", ["smoke", "full"])
def test_every_module_collects_cells(profile: str) -> None:
    ids = collect("--ablab-profile", profile, "--ablab-seeds", "2")
    for module in MODULES:
        cells = [i for i in ids if module_of(i) == module and f"::test_{module}[" in i]
        assert cells, f"ablations/test_{module}.py collects no cells in the {profile} profile"
        # Every cell runs once per seed of --ablab-seeds.
        assert any("seed1" in i for i in cells), cells[:3]


def test_dropout_selects_only_dropout_cells() -> None:
    ids = collect("-k", "dropout")
    assert ids
    assert {module_of(i) for i in ids} == {"dropout"}, ids


def test_init_and_zeros_selects_only_zeros_cells() -> None:
    ids = collect("-k", "init and zeros")
    assert ids
    assert all(module_of(i) == "init" and "zeros" in i for i in ids), ids
    assert len(ids) == 2 * 3  # mlp and cnn, three seeds by default; no claim test
