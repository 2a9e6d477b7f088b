"""Claims read the session's rows from the store: a rerun of the failed claim alone
(`pytest --lf`) still fails, and a claim in a second process over cells the first trained
gives the same verdict. Each evaluation is one row of the `claims` table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import REPO, child_env

STUDY = '''
import dataclasses
import pytest
from ablab.spec import Experiment

BASE = Experiment(dataset="digits", epochs=1, batch_size=256)


@pytest.mark.parametrize("init", ["he", "zeros"])
def test_tiny(run, init, seed):
    run(dataclasses.replace(BASE, init=init))


def test_wrong_claim(claim):
    comparison = claim("he", "zeros")
    assert comparison.verdict == "worse", comparison.describe()


def test_loss_finding(finding):
    finding("he", "zeros", metric="loss")
'''


def pytest_in(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest with the ablab plugin in `folder`, its cache on (for --lf)."""
    env = {**child_env(), "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    env.pop("ABLAB_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--rootdir", str(folder), "--ablab-seeds", "2", *args],
        cwd=folder, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture
def study(tmp_path: Path) -> Path:
    (tmp_path / "test_tiny.py").write_text(STUDY)
    return tmp_path


def stored_claims(folder: Path) -> pd.DataFrame:
    return pd.read_sql_table("claims", f"sqlite:///{folder / 'results' / 'ablab.db'}")


def test_a_failed_claim_still_fails_under_last_failed(study: Path) -> None:
    first = pytest_in(study)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "1 failed, 5 passed" in first.stdout
    again = pytest_in(study, "--lf", "-rA")
    assert again.returncode == 1, again.stdout + again.stderr
    assert "== 1 failed in" in again.stdout  # only the claim ran: no cell was trained
    assert "read from the latest stored rows with the same cell identity" in again.stdout
    claims = stored_claims(study)
    wrong = claims[claims["node_id"] == "test_tiny.py::test_wrong_claim"]
    assert len(wrong) == 2  # one row per evaluation
    assert wrong["verdict"].nunique() == 1
    assert wrong["diff"].nunique() == 1  # the same cells both times
    assert list(wrong["passed"]) == [False, False]
    assert list(wrong["source"].str.startswith("this session")) == [True, False]


def test_a_claim_in_a_second_process_over_reused_cells_agrees(study: Path) -> None:
    first = pytest_in(study)
    assert first.returncode == 1, first.stdout + first.stderr
    second = pytest_in(study, "--ablab-reuse")
    assert second.returncode == 1, second.stdout + second.stderr
    assert "(2 reused)" in second.stdout
    claims = stored_claims(study)
    assert claims["session_id"].nunique() == 2
    for _, same in claims.groupby("node_id"):
        assert len(same) == 2
        assert same["verdict"].nunique() == 1
        assert same["p_value"].nunique() == 1
    finding = claims[claims["node_id"].str.endswith("test_loss_finding")].iloc[0]
    assert finding["asserted"] == 0
    assert pd.isna(finding["passed"])
    assert finding["direction"] == "lower"
    assert finding["metric"] == "loss"
