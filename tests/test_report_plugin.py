"""`pytest --ablab-report` writes the session's report at the end of the run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import child_env

ROOT = Path(__file__).resolve().parents[1]
STUDY = '''
import pytest
from ablab import RunFixture
from ablab.spec import Experiment

CONTROL = "narrow"


@pytest.mark.parametrize("width", [4, 32], ids=["narrow", "wide"])
def test_width(run: RunFixture, width: int, seed: int) -> None:
    run(Experiment(dataset="digits", epochs=1, model_kwargs={"hidden": (width,)}))


def test_plain(run: RunFixture, seed: int) -> None:
    run(Experiment(dataset="digits", epochs=1, model_kwargs={"hidden": (8,)}))
'''


@pytest.mark.slow
def test_ablab_report_option_writes_the_session_report(tmp_path: Path) -> None:
    (tmp_path / "test_width.py").write_text(STUDY, encoding="utf-8")
    env = {**child_env(), "PYTHONPATH": str(ROOT), "ABLAB_CACHE": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
         "--ablab-seeds", "2", "--ablab-db", f"sqlite:///{tmp_path / 'runs.db'}",
         "--ablab-report", "test_width.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "report: results/REPORT.md" in done.stdout
    text = (tmp_path / "results" / "REPORT.md").read_text(encoding="utf-8")
    assert "## width" in text
    assert "narrow (control)" in text
    # A test parametrised only by seed is one variant (its name) with both seeds.
    assert re.search(r"^\| (\*\*)?test_plain\b.*\| 2 +\|", text, re.MULTILINE)
    assert "test_plain[" not in text
    assert "`pytest -p no:cacheprovider" in text  # the header names the command
    assert (tmp_path / "results" / "figures" / "width-accuracy.png").exists()
