"""The README's Python snippets pass the project's own `ruff check`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def test_the_readme_has_python_snippets_and_ruff_passes_them(tmp_path: Path) -> None:
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[dev]')")
    blocks = BLOCK.findall((REPO / "README.md").read_text())
    assert len(blocks) >= 4  # the rows, an ablation, a model, a dataset, ...
    for number, block in enumerate(blocks):
        (tmp_path / f"readme_snippet_{number}.py").write_text(block)
    done = subprocess.run([ruff, "check", "--no-cache", "--config",
                           str(REPO / "pyproject.toml"), str(tmp_path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
