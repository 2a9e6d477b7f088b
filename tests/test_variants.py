"""Variant names and what a claim over missing cells says, run as a user runs pytest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.test_plugin import pytest_in

HEADER = '''
import dataclasses
import pytest
from ablab.spec import Experiment

BASE = Experiment(dataset="digits", epochs=2)
'''
INIT = '@pytest.mark.parametrize("init", ["he", "zeros"])\n'
BATCH = '@pytest.mark.parametrize("batch_size", [128])\n'
TWO_AXES = '''def test_cell(run, init, batch_size, seed):
    run(dataclasses.replace(BASE, init=init, batch_size=batch_size))


def test_claim(claim):
    assert claim("he-128", "zeros-128").verdict == "better"
'''


@pytest.mark.parametrize("decorators", [INIT + BATCH, BATCH + INIT], ids=["init-on-top",
                                                                           "batch-on-top"])
def test_decorator_order_changes_neither_names_nor_the_claim(
    tmp_path: Path, decorators: str
) -> None:
    (tmp_path / "test_two.py").write_text(HEADER + decorators + TWO_AXES)
    done = pytest_in(tmp_path, "--ablab-seeds", "2", "-rA")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASSED test_two.py::test_claim" in done.stdout
    frame = pd.read_sql_table("runs", f"sqlite:///{tmp_path / 'results' / 'ablab.db'}")
    assert sorted(frame["variant"]) == ["he-128", "he-128", "zeros-128", "zeros-128"]


MISSING = HEADER + '''
@pytest.mark.parametrize("init", ["he", "zeros", "xavier"])
def test_cell(run, init, seed):
    if init == "zeros":
        raise RuntimeError("this cell breaks before it trains")
    if init == "xavier":
        pytest.skip("data unavailable")
    run(dataclasses.replace(BASE, init=init, batch_size=128))


def test_failed(claim):
    claim("he", "zeros")


def test_not_in_this_profile(claim):
    claim("he", "normal")


def test_skipped(claim):
    claim("he", "xavier")
'''


def test_a_claim_fails_on_failed_or_unknown_cells_and_skips_on_skipped_ones(
    tmp_path: Path,
) -> None:
    (tmp_path / "test_missing.py").write_text(MISSING)
    done = pytest_in(tmp_path, "--ablab-seeds", "2", "-rA")
    out = done.stdout
    assert "FAILED test_missing.py::test_failed" in out
    assert "\nclaim's cells ran but left no result (failed): missing zeros seeds [0, 1]\n" in out
    assert "FAILED test_missing.py::test_not_in_this_profile" in out
    assert ("\nclaim names cells no test of missing produces in this profile: normal; its "
            "variants are he, xavier, zeros\n") in out
    assert "claim's cells were skipped: missing xavier seeds [0, 1]" in out
    assert "4 failed, 2 passed, 3 skipped" in out  # the two broken cells and two claims
