"""Crash-safe resume: a smoke study killed with SIGKILL at three points, each rerun with
`--ablab-reuse`, ends with every cell stored exactly once, and the last rerun trains exactly
the cells the killed runs had not stored."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, child_env

STUDY = "ablations/test_hidden_units.py"  # 21 smoke cells of about 0.3 s each
KILL_AFTER_ROWS = (2, 9, 16)  # the three points: early, midway, late
POLL_SECONDS = 0.02


def _command(db: Path) -> list[str]:
    return [sys.executable, "-m", "pytest", STUDY, "-q", "-p", "no:cacheprovider",
            "--ablab-db", f"sqlite:///{db}", "--ablab-reuse"]


def _env(cache: Path) -> dict[str, str]:
    env = {**child_env(), "PYTHONPATH": str(REPO), "ABLAB_CACHE": str(cache),
           "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("ABLAB_DB", None)
    return env


def _keys(db: Path) -> list[tuple[str, str]]:
    """(session, key) of every stored row; none while the table does not exist yet."""
    if not db.exists():
        return []
    with sqlite3.connect(db, timeout=30) as connection:
        try:
            return list(connection.execute("SELECT session_id, key FROM runs ORDER BY id"))
        except sqlite3.OperationalError:  # no table yet
            return []


def _run_and_kill(db: Path, cache: Path, rows: int) -> None:
    """Start the study and SIGKILL its process group once `rows` rows are stored."""
    process = subprocess.Popen(_command(db), cwd=REPO, env=_env(cache), start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    try:
        while len(_keys(db)) < rows:
            assert process.poll() is None, "the run ended before the kill point"
            assert time.monotonic() < deadline
            time.sleep(POLL_SECONDS)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _integrity(db: Path) -> str:
    with sqlite3.connect(db) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


@pytest.mark.slow
def test_killed_runs_resume_training_exactly_the_missing_cells(tmp_path: Path) -> None:
    db, cache = tmp_path / "runs.db", tmp_path / "cache"
    for rows in KILL_AFTER_ROWS:
        _run_and_kill(db, cache, rows)
        assert _integrity(db) == "ok"
        keys = [key for _, key in _keys(db)]
        assert len(keys) >= rows
        assert len(keys) == len(set(keys))  # a rerun never retrains a stored cell
    stored = {key for _, key in _keys(db)}
    before = {session for session, _ in _keys(db)}
    done = subprocess.run(_command(db), cwd=REPO, env=_env(cache), capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    found = _keys(db)
    final = [key for session, key in found if session not in before]
    every = [key for _, key in found]
    assert len(every) == len(set(every)) == 21
    assert set(final) == set(every) - stored  # exactly the missing cells were trained
    reused = sum(int(n) for n in re.findall(r"\((\d+) reused\)", done.stdout))
    assert reused == len(stored)  # and the stored ones are reported as reused
