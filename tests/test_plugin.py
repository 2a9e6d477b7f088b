"""The pytest plugin end to end, run as a user runs it: a subprocess in a fresh folder."""

from __future__ import annotations

import sqlite3
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

BASE = Experiment(dataset="digits", epochs=2, batch_size=128)


@pytest.mark.parametrize("init", ["he", "zeros"])
def test_tiny(run, init, seed):
    result = run(dataclasses.replace(BASE, init=init))
    assert result.experiment.seed == seed


def test_claim(claim):
    assert claim("he", "zeros").verdict == "better"
'''


def pytest_in(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run pytest with the ablab plugin in `folder` (the repo root on PYTHONPATH)."""
    env = {**child_env(), "PYTHONPATH": str(REPO)}
    env.pop("ABLAB_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
         "--rootdir", str(folder), *args],
        cwd=folder, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture
def study(tmp_path: Path) -> Path:
    (tmp_path / "test_tiny.py").write_text(STUDY)
    return tmp_path


def count_rows(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute("SELECT count(*) FROM runs").fetchone()[0])


def test_a_run_prints_the_table_and_records_one_row_per_cell(study: Path) -> None:
    done = pytest_in(study, "--ablab-seeds", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| variant" in done.stdout
    assert "| he " in done.stdout
    assert "2 collapsed" in done.stdout
    assert "he vs zeros on accuracy: better" in done.stdout
    frame = pd.read_sql_table("runs", f"sqlite:///{study / 'results' / 'ablab.db'}")
    assert len(frame) == 4
    assert set(frame["variant"]) == {"he", "zeros"}
    assert sorted(frame["seed"]) == [0, 0, 1, 1]
    assert frame["session_id"].nunique() == 1
    assert frame["node_id"].str.startswith("test_tiny.py::test_tiny[").all()


def test_reuse_trains_nothing_and_adds_no_row(study: Path) -> None:
    first = pytest_in(study, "--ablab-seeds", "2")
    assert first.returncode == 0, first.stdout + first.stderr
    again = pytest_in(study, "--ablab-seeds", "2", "--ablab-reuse")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "(2 reused)" in again.stdout
    assert count_rows(study / "results" / "ablab.db") == 4


def test_xdist_workers_share_one_session(study: Path) -> None:
    done = pytest_in(study, "--ablab-seeds", "2", "-n", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "he vs zeros on accuracy: better" in done.stdout  # the claim saw its cells
    frame = pd.read_sql_table("runs", f"sqlite:///{study / 'results' / 'ablab.db'}")
    assert len(frame) == 4
    assert frame["session_id"].nunique() == 1


def test_first_seed_shifts_the_seed_axis(study: Path) -> None:
    done = pytest_in(study, "--ablab-seeds", "2", "--ablab-first-seed", "5", "--collect-only",
                     "-q", "-k", "he")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test_tiny.py::test_tiny[seed5-he]" in done.stdout
    assert "test_tiny.py::test_tiny[seed6-he]" in done.stdout
    assert "seed0-" not in done.stdout


def test_deselected_cells_skip_the_claim_with_the_reason(study: Path) -> None:
    done = pytest_in(study, "--ablab-seeds", "2", "-k", "he or claim", "-rs")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "claim needs cells this session did not run: tiny zeros seeds [0, 1]" in done.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--ablab-profile", "huge"], "argument --ablab-profile: invalid choice: 'huge' "
                                  "(choose from smoke, full)"),
    (["--ablab-seeds", "0"], "argument --ablab-seeds: '0' is not allowed; give an integer >= 1"),
    *[(["--ablab-seeds", bad], f"argument --ablab-seeds: '{bad}' is not allowed; give an "
       "integer >= 1 (N seeds) or a range MIN..MAX with 2 <= MIN < MAX, e.g. 3..8")
      for bad in ("3..2", "1..5", "a..b", "3..")],
    (["--ablab-first-seed", "-1"], "argument --ablab-first-seed: '-1' is not allowed; give an "
                                   "integer >= 0"),
    (["--ablab-device", "tpu"], "--ablab-device: device='tpu' is not allowed"),
    (["--ablab-db", "postgresql://postgres@127.0.0.1:1/x"], "--ablab-db: cannot reach database"),
])
def test_bad_options_fail_in_one_line_and_write_nothing(
    study: Path, args: list[str], message: str
) -> None:
    done = pytest_in(study, *args)
    assert done.returncode != 0
    unquoted = done.stderr.replace("'", "")
    assert sum(message.replace("'", "") in line for line in unquoted.splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert not (study / "results").exists()


@pytest.mark.parametrize(("field", "message"), [
    ('model="resnet1000"', "unknown model 'resnet1000'; known models:"),
    ('dataset="imagenet"', "unknown dataset 'imagenet'; known datasets:"),
    ('init="kaiming"', "unknown init 'kaiming'; known inits:"),
    ("lr=-1.0", "lr=-1.0 is not allowed; lr must be a finite number > 0"),
    ("batch_size=0", "batch_size=0 is not allowed; batch_size must be an integer > 0"),
])
def test_a_bad_experiment_fails_collection_and_writes_nothing(
    tmp_path: Path, field: str, message: str
) -> None:
    (tmp_path / "test_bad.py").write_text(
        "from ablab.spec import Experiment\n"
        f"BASE = Experiment({field})\n"
        "def test_cell(run, seed):\n    run(BASE)\n"
    )
    done = pytest_in(tmp_path)
    assert done.returncode != 0
    assert f"ValueError: {message}" in done.stdout
    assert not (tmp_path / "results").exists()


def test_junitxml_properties_are_json(study: Path) -> None:
    import json
    import xml.etree.ElementTree as ET

    done = pytest_in(study, "--ablab-seeds", "2", "--junitxml", "junit.xml")
    assert done.returncode == 0, done.stdout + done.stderr
    properties = ET.parse(study / "junit.xml").findall(".//property")
    # Cells are properties (JSON); claims live in the database's claims table instead.
    cells = [json.loads(p.get("value", "")) for p in properties if p.get("name") == "ablab_cell"]
    assert sorted((c["variant"], c["seed"]) for c in cells) == [
        ("he", 0), ("he", 1), ("zeros", 0), ("zeros", 1)]
