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


def test_ci_runs_the_readmes_two_commands() -> None:
    """CI must run the README's test command as written (and the README's first command's
    install), so the two cannot drift apart."""
    block = (REPO / "README.md").read_text().split("## The two commands")[1].split("```bash\n")[1]
    install, tests = (line.split("  #")[0].strip() for line in block.split("```")[0].splitlines())
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert tests in ci, f"{tests!r} is not a line of .ci/run"
    assert any("pip install" in line and "-e '.[dev]'" in line for line in ci), install
