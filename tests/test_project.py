"""A project's own factories: `[tool.ablab] imports` found, imported and its mistakes reported."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ablab.project import ProjectError, find_pyproject, load_project, project_imports
from ablab.registry import DATASETS, MODELS
from ablab.search.spec import SEARCHES
from ablab.spec import Experiment
from tests.test_plugin import pytest_in

MODEL = '''
from torch import nn

import ablab


@ablab.register_model
def {name}(*, input_shape, num_classes):
    return nn.Sequential(nn.Flatten(), nn.LazyLinear(num_classes))
'''


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Registrations, sys.path entries and modules a test adds are gone after it."""
    monkeypatch.setattr(MODELS, "_factories", dict(MODELS._factories))
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        del sys.modules[name]


def write_project(folder: Path, table: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(f"[project]\nname = 'p'\n\n{table}\n")
    return folder / "pyproject.toml"


def test_the_nearest_pyproject_with_an_ablab_table_is_found(tmp_path: Path) -> None:
    outer = write_project(tmp_path, "[tool.ablab]\nimports = []")
    write_project(tmp_path / "sub", "[tool.other]\nx = 1")  # no [tool.ablab]: looked past
    (tmp_path / "sub" / "deeper").mkdir()
    assert find_pyproject(tmp_path / "sub" / "deeper") == outer


@pytest.mark.usefixtures("isolated")
def test_the_named_modules_register_their_models_from_the_project_folder(tmp_path: Path) -> None:
    name = f"net_{tmp_path.name[-8:].replace('-', '_')}"
    pyproject = write_project(tmp_path, f'[tool.ablab]\nimports = ["{name}_module"]')
    (tmp_path / f"{name}_module.py").write_text(MODEL.format(name=name))
    with pytest.raises(ValueError, match=rf"unknown model '{name}'.*\[tool.ablab\] imports"):
        Experiment(dataset="digits", model=name)
    assert load_project(pyproject) == [f"{name}_module"]
    assert Experiment(dataset="digits", model=name).model == name


@pytest.mark.parametrize(("table", "message"), [
    ('[tool.ablab]\nimports = ["no_such_module_here"]',
     r"pyproject.toml: \[tool.ablab\] imports names 'no_such_module_here', which cannot be "
     "imported from "),
    ('[tool.ablab]\nimports = "models"',
     r"\[tool.ablab\] imports must be a list of module names, got 'models'"),
    ('[tool.ablab]\nimport = ["models"]', r"\[tool.ablab\] has no key 'import'; allowed: imports"),
    ("[tool]\nablab = 5", r"\[tool.ablab\] must be a table"),  # was a TypeError traceback
    ('[tool.ablab]\nimports = ["..x"]', r"imports must be a list of module names, got \['..x'\]"),
])
@pytest.mark.usefixtures("isolated")
def test_a_bad_table_is_one_error_naming_the_file_and_key(
    tmp_path: Path, table: str, message: str
) -> None:
    pyproject = write_project(tmp_path, table)
    with pytest.raises(ProjectError, match=message) as caught:
        load_project(pyproject)
    assert str(pyproject) in str(caught.value)


@pytest.mark.usefixtures("isolated")
def test_a_missing_import_inside_a_named_module_is_not_blamed_on_the_table(
    tmp_path: Path,
) -> None:
    pyproject = write_project(tmp_path, '[tool.ablab]\nimports = ["needs_missing"]')
    (tmp_path / "needs_missing.py").write_text("import a_package_nobody_has\n")
    with pytest.raises(ModuleNotFoundError, match="a_package_nobody_has"):
        load_project(pyproject)


def test_the_plugin_loaded_this_repository_s_own_factories() -> None:
    """This session's plugin imported what the repository's pyproject.toml names."""
    names = project_imports(Path(__file__).resolve().parents[1] / "pyproject.toml")
    assert {"models", "datasets", "searches"} <= set(names) <= set(sys.modules)
    assert {"lstm", "resnet18", "sklearn_mlp"} <= set(MODELS.names())
    assert {"mnist", "uea"} <= set(DATASETS.names())
    assert "mlp_search" in SEARCHES


def test_pytest_stops_with_a_usage_error_on_a_missing_module(tmp_path: Path) -> None:
    write_project(tmp_path, '[tool.ablab]\nimports = ["not_there"]')
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    done = pytest_in(tmp_path)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    assert "[tool.ablab] imports names 'not_there', which cannot be imported" in done.stderr
    assert "Traceback" not in done.stderr
