"""The engine's layout rules: no import circle, pure modules pure, small modules, plugin.py
holds only pytest hooks."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import REPO

MAX_LINES = 300


def test_no_import_circle_and_pure_modules_are_pure() -> None:
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "check_imports.py")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_engine_module_is_over_the_size_limit() -> None:
    sizes = {path.relative_to(REPO).as_posix(): len(path.read_text().splitlines())
             for path in (REPO / "ablab").rglob("*.py")}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_plugin_defines_only_hooks_and_their_helpers() -> None:
    tree = ast.parse((REPO / "ablab" / "plugin.py").read_text())
    fixtures = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)
                and any("fixture" in ast.unparse(d) for d in node.decorator_list)]
    public = [node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)
              and not node.name.startswith(("pytest_", "_"))]
    assert fixtures == []
    assert public == []
