"""A project's own factories: the modules its pyproject.toml names under `[tool.ablab] imports`.

    [tool.ablab]
    imports = ["models", "datasets", "searches"]

pytest imports them at start-up from the pyproject.toml of its rootdir, `python -m ablab` from
the first pyproject.toml with a `[tool.ablab]` table in the current folder or above. The folder
holding that file goes on `sys.path` first, so a project's top-level modules import from
anywhere below it. A project without the table simply has ablab's embedded defaults.
"""

from __future__ import annotations

import importlib
import sys
import tomllib
from pathlib import Path
from typing import Any

PYPROJECT = "pyproject.toml"


class ProjectError(ValueError):
    """A `[tool.ablab]` table that cannot be used; the message names the file and the key."""


def find_pyproject(start: Path) -> Path | None:
    """The first pyproject.toml with a `[tool.ablab]` table in `start` or a folder above it."""
    for folder in [start.resolve(), *start.resolve().parents]:
        candidate = folder / PYPROJECT
        tool = _read(candidate).get("tool", {}) if candidate.is_file() else {}
        if isinstance(tool, dict) and "ablab" in tool:
            return candidate
    return None


def project_imports(pyproject: Path) -> list[str]:
    """The module names of `[tool.ablab] imports` ([] without the table)."""
    tool = _read(pyproject).get("tool", {})
    table = tool.get("ablab", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ProjectError(f"{pyproject}: [tool.ablab] must be a table (`[tool.ablab]` and "
                           f"`imports = [...]` under it), got {table!r}")
    unknown = sorted(set(table) - {"imports"})
    if unknown:
        raise ProjectError(f"{pyproject}: [tool.ablab] has no key {unknown[0]!r}; "
                           "allowed: imports")
    imports = table.get("imports", [])
    # Absolute dotted names: a relative one (`..x`) has no package to be relative to.
    if not isinstance(imports, list) or not all(
            isinstance(m, str) and all(part.isidentifier() for part in m.split("."))
            for m in imports):
        raise ProjectError(f"{pyproject}: [tool.ablab] imports must be a list of module names, "
                           f"got {imports!r}; e.g. [\"models\", \"datasets\"]")
    return imports


def load_project(pyproject: Path | None) -> list[str]:
    """Import the modules `pyproject` names (registering their factories); returns them."""
    if pyproject is None or not pyproject.is_file():
        return []
    modules = project_imports(pyproject)
    folder = str(pyproject.parent.resolve())
    if modules and folder not in sys.path:
        sys.path.insert(0, folder)
    for module in modules:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name is None or not f"{module}.".startswith(f"{error.name}."):
                raise  # the module exists but one of its own imports is missing
            raise ProjectError(f"{pyproject}: [tool.ablab] imports names {module!r}, which "
                               f"cannot be imported from {folder}") from None
    return modules


def _read(pyproject: Path) -> dict[str, Any]:
    try:
        with pyproject.open("rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as error:
        raise ProjectError(f"{pyproject}: not valid TOML: {error}") from None
