"""scripts/check_imports.py against a copy of the package with a defect injected: each import
form of a circle, an impure import direct, through another module, and one only an import at
run time shows. (tests/test_layout.py runs it on the real tree.)"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import REPO

SCRIPT = REPO / "scripts" / "check_imports.py"


def copy_with(tmp_path: Path, edits: dict[str, str]) -> Path:
    """A copy of ablab/ with `edits` (file -> lines) appended; its root."""
    root = tmp_path / "ablab"
    shutil.copytree(REPO / "ablab", root, ignore=shutil.ignore_patterns("__pycache__"))
    for name, text in edits.items():
        path = root / name
        path.write_text(path.read_text() + "\n" + text + "\n")
    return root


def check(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--root", str(root), *args],
                          capture_output=True, text=True, timeout=300)


def script(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The script as a module (scripts/ is no package); in sys.modules for its dataclasses."""
    spec = importlib.util.spec_from_file_location("check_imports", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def circles(output: str) -> list[set[str]]:
    """The modules of each circle the script printed (it may start a circle anywhere)."""
    return [set(line.split(" -> ")) for line in output.splitlines() if " -> " in line
            and " imports " not in line and " loads " not in line]


@pytest.mark.parametrize(("file", "line", "circle"), [
    ("stats/direction.py", "from ablab.stats import claims",
     "ablab.stats.claims -> ablab.stats.direction -> ablab.stats.claims"),
    ("stats/direction.py", "from ..stats import claims",
     "ablab.stats.claims -> ablab.stats.direction -> ablab.stats.claims"),
    ("gate/verdicts.py", "from . import compare",
     "ablab.gate.compare -> ablab.gate.verdicts -> ablab.gate.compare"),
    ("gate/verdicts.py", "def later() -> None:\n    from .compare import judge  # lazy",
     "ablab.gate.compare -> ablab.gate.verdicts -> ablab.gate.compare"),
    ("stats/direction.py", "import typing\nif typing.TYPE_CHECKING:\n    from . import claims",
     "ablab.stats.claims -> ablab.stats.direction -> ablab.stats.claims"),
    ("stats/flat.py", "import importlib\nimportlib.import_module('ablab.stats.claims')",
     "ablab.stats.claims -> ablab.stats.flat -> ablab.stats.claims"),
], ids=["from-package-import-module", "relative-up", "relative-here", "lazy", "type-only",
        "import_module"])
def test_a_circle_in_any_import_form_fails_the_check(
    tmp_path: Path, file: str, line: str, circle: str
) -> None:
    done = check(copy_with(tmp_path, {file: line}), "--static")
    assert done.returncode == 1, done.stdout
    assert set(circle.split(" -> ")) in circles(done.stdout), done.stdout


def test_the_unchanged_copy_passes(tmp_path: Path) -> None:
    done = check(copy_with(tmp_path, {}), "--static")
    assert done.returncode == 0, done.stdout
    assert done.stdout.strip().endswith("no circle, pure modules pure")


@pytest.mark.parametrize(("edits", "problem"), [
    ({"stats/chance.py": "from ..train import loop"},
     "ablab.stats.chance imports ablab.train (line"),
    ({"stats/chance.py": "def later() -> None:\n    import torch  # lazy, still not pure"},
     "ablab.stats.chance imports torch (line"),
    ({"store/jsonsafe.py": "import torch"},
     "ablab.terminal imports torch at import time through ablab.stash -> ablab.store.jsonsafe"),
], ids=["direct-relative", "lazy", "through-another-module"])
def test_an_impure_import_fails_the_check(
    tmp_path: Path, edits: dict[str, str], problem: str
) -> None:
    done = check(copy_with(tmp_path, edits), "--static")
    assert done.returncode == 1, done.stdout
    assert any(line.startswith(problem) for line in done.stdout.splitlines()), done.stdout


def test_a_torch_import_only_run_time_shows_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_with(tmp_path, {"stats/direction.py": '__import__("to" + "rch")  # no AST'})
    assert check(root, "--static").returncode == 0  # the source does not spell it out
    probe = script(monkeypatch).loaded_at_run_time
    found = probe(root, ["ablab.stats.direction", "ablab.stats.chance"])
    assert found == ["ablab.stats.direction loads torch at run time: ablab.stats.direction -> "
                     "torch"]


def test_the_root_must_be_a_package(tmp_path: Path) -> None:
    done = check(tmp_path, "--static")
    assert done.returncode == 2
    assert "not a package folder (no __init__.py)" in done.stderr
