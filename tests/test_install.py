"""ablab as another project uses it: built into a wheel, installed non-editable into a fresh
virtual environment (no system site-packages), then run by pytest and by a plain script in
folders outside this repository.

The venv's dependencies are resolved by pip from one of two sources:
- by default, the environment running these tests (a venv or the base Python alike): its
  site-packages are the venv's only other path (a `.pth` file), and pip installs the wheel with
  `--no-index`, so every declared dependency must already be there at a version the wheel
  accepts, else the install fails. Seconds, no download.
- with `ABLAB_INSTALL_FROM_INDEX=1`, the package index and the local wheel cache pip is
  configured with: nothing is shared, every dependency is downloaded or copied into the venv,
  as a new user's `pip install` does (minutes: torch is several GB). CI runs this once
  (`.ci/run`), so a dependency the code imports but the wheel does not declare fails there.

Each test checks that `ablab.__file__` lies inside the venv and runs with PYTHONPATH scrubbed.
"""

from __future__ import annotations

import os
import shutil
import site
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

# What a source tree copy leaves out: caches, results and earlier builds.
NOT_SOURCE = (".git", ".mypy_cache", ".ruff_cache", "__pycache__", "results", "build",
              "*.egg-info", ".cache", ".benchmarks", ".venv*")

PYPROJECT = """
[tool.ablab]
imports = ["shop_models", "shop_data"]
"""

MODELS = '''
from torch import nn

import ablab


@ablab.register_model
def shop_net(*, input_shape, num_classes, width: int = 32):
    return nn.Sequential(nn.Flatten(), nn.Linear(input_shape[0], width), nn.ReLU(),
                         nn.Linear(width, num_classes))
'''

DATA = '''
import numpy as np

import ablab
from ablab.data import DataContext, TensorData, split


@ablab.register_dataset
def shop_blobs(*, ctx: DataContext, n: int = 600) -> TensorData:
    """Two Gaussian blobs in 8 dimensions, one per class."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n)
    x = (rng.standard_normal((n, 8)) + 2.0 * y[:, None]).astype(np.float32)
    return split(x, y.astype(np.int64), ctx, ("a", "b"), f"shop-blobs-{n}")
'''

STUDY = '''
import dataclasses

import pytest

from ablab import Experiment

BASE = Experiment(dataset="shop_blobs", model="shop_net", epochs=3, batch_size=64, lr=0.01)


@pytest.mark.parametrize("init", ["he", "zeros"])
def test_init(run, init, seed):
    result = run(dataclasses.replace(BASE, init=init, seed=seed))
    assert result.status in ("ok", "collapsed")


def test_he_beats_zeros(claim):
    assert claim("he", "zeros").verdict == "better"
'''

SCRIPT = '''
import sys

from torch import nn

import ablab


@ablab.register_model
def script_net(*, input_shape, num_classes):
    return nn.Sequential(nn.Flatten(), nn.Linear(64, num_classes))


exp = ablab.Experiment(dataset="digits", model="script_net", epochs=3, optimizer="adam", lr=0.01,
                      device="cpu")
leaked = sorted({"torchvision", "models", "datasets", "searches"} & set(sys.modules))
result = ablab.run_experiment(exp, ablab.load_data(exp))
print(f"file={ablab.__file__}")
print(f"leaked={leaked}")
print(f"status={result.status} accuracy={result.accuracy:.3f}")
'''


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ablab's wheel, built from a copy of this source tree (the tree itself stays clean)."""
    root = tmp_path_factory.mktemp("wheel")
    shutil.copytree(REPO, root / "src", ignore=shutil.ignore_patterns(*NOT_SOURCE))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(root / "dist"), str(root / "src")],
                   check=True, capture_output=True, timeout=300)
    (built,) = (root / "dist").glob("ablab-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed non-editable, its dependencies resolved by pip
    (see the module docstring for where from); returns its python."""
    folder = tmp_path_factory.mktemp("venv")
    from_index = os.environ.get("ABLAB_INSTALL_FROM_INDEX") == "1"
    # --without-pip: the pip running these tests installs into the venv (`pip --python`), so
    # the venv holds no setuptools of its own older than the one torch requires.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)],
                   check=True, capture_output=True, timeout=120)
    python = folder / "bin" / "python"
    if not from_index:
        (purelib(python) / "outer-environment.pth").write_text(
            "\n".join(site.getsitepackages()) + "\n")
    offline = [] if from_index else ["--no-index"]
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                           "-q", "--disable-pip-version-check", *offline, str(wheel)],
                          capture_output=True, text=True, timeout=3600, env=user_env())
    assert done.returncode == 0, done.stdout + done.stderr
    return python


def purelib(python: Path) -> Path:
    """The site-packages folder of the environment `python` runs."""
    done = subprocess.run([str(python), "-c", "import sysconfig; "
                           "print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True, timeout=60)
    return Path(done.stdout.strip())


def user_env() -> dict[str, str]:
    """The environment of a user elsewhere: no PYTHONPATH, no ablab settings of this suite."""
    return {k: v for k, v in os.environ.items()
            if k != "PYTHONPATH" and not k.startswith(("ABLAB_", "PYTEST_"))}


def test_the_wheel_holds_only_ablab(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {"ablab", wheel.name.split("-py")[0]
                                                      + ".dist-info"}
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[pytest11]\nablab = ablab.plugin" in text


def test_a_project_elsewhere_runs_its_own_ablation(venv: Path, tmp_path: Path) -> None:
    project = tmp_path / "shop"
    project.mkdir()
    for name, text in {"pyproject.toml": PYPROJECT, "shop_models.py": MODELS,
                       "shop_data.py": DATA, "test_shop.py": STUDY}.items():
        (project / name).write_text(text)
    done = subprocess.run([str(venv), "-m", "pytest", "-p", "no:cacheprovider",
                           "--ablab-seeds", "2", "--ablab-device", "cpu"],
                          cwd=project, env=user_env(), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    first_cells = {line.split("|")[1].strip() for line in done.stdout.splitlines()
                   if line.startswith("|")}
    assert {"variant", "he", "zeros"} <= first_cells  # the summary table, one line a variant
    assert "he vs zeros on accuracy: better" in done.stdout
    with sqlite3.connect(project / "results" / "ablab.db") as db:
        rows = db.execute("SELECT variant, seed FROM runs ORDER BY variant, seed").fetchall()
        assert rows == [("he", 0), ("he", 1), ("zeros", 0), ("zeros", 1)]
    where = subprocess.run([str(venv), "-c", "import ablab; print(ablab.__file__)"],
                           cwd=project, env=user_env(), capture_output=True, text=True,
                           check=True)
    assert Path(where.stdout.strip()).is_relative_to(venv.parent.parent)


def test_a_script_elsewhere_registers_builds_and_trains(venv: Path, tmp_path: Path) -> None:
    done = subprocess.run([str(venv), "-c", SCRIPT], cwd=tmp_path, env=user_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = dict(line.split("=", 1) for line in done.stdout.split() if "=" in line)
    assert Path(lines["file"]).is_relative_to(venv.parent.parent)
    assert lines["leaked"] == "[]"
    assert lines["status"] == "ok"
    assert float(lines["accuracy"]) > 0.5
