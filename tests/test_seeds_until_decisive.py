"""Seeds until decisive (`--ablab-seeds MIN..MAX`) end to end, in a throwaway project: more
seeds are trained only for the cells of undecided claims, each claim records the seeds it used
and why it stopped, and a rerun with reuse trains nothing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from ablab.stats.sequential import SeedCount, parse_seed_count
from tests.test_plugin import pytest_in

STUDY = '''
import dataclasses
import pytest
from ablab.spec import Experiment

BASE = Experiment(dataset="digits", epochs=1, batch_size=256)


@pytest.mark.parametrize("init", ["he", "zeros", "xavier"])
def test_tiny(run, init, seed):
    run(dataclasses.replace(BASE, init=init))


@pytest.mark.parametrize("copy", ["left", "right"])
def test_same(run, copy, seed):
    run(BASE)  # the same cell under two names: a difference of exactly 0, never decided


def test_clear(finding):
    finding("he", "zeros")


def test_unclear(finding):
    finding("left", "right")
'''
LOW, HIGH = 3, 6


def _table(folder: Path, name: str) -> pd.DataFrame:
    with sqlite3.connect(folder / "results" / "ablab.db") as connection:
        return pd.read_sql_query(f"select * from {name}", connection)


def test_more_seeds_train_only_for_undecided_claims(tmp_path: Path) -> None:
    (tmp_path / "test_tiny.py").write_text(STUDY)
    done = pytest_in(tmp_path, "--ablab-seeds", f"{LOW}..{HIGH}")
    assert done.returncode == 0, done.stdout + done.stderr
    runs, claims = _table(tmp_path, "runs"), _table(tmp_path, "claims")
    seeds = runs.groupby("variant")["seed"].apply(sorted).to_dict()
    unclear = claims[claims["a"] == "left"].iloc[0]
    assert unclear["stop_reason"] == f"reached the maximum {HIGH} seeds"
    assert seeds["left"] == seeds["right"] == list(range(HIGH))
    clear = claims[claims["a"] == "he"].iloc[0]
    assert clear["stop_reason"] == f"decided at {clear['n']} seeds"
    assert clear["verdict"] == "better"
    # he and zeros got exactly the seeds their claim needed, although the other claim went on
    assert seeds["he"] == seeds["zeros"] == list(range(clear["n"])) == json.loads(clear["seeds"])
    assert seeds["xavier"] == list(range(LOW))  # in no claim: the seed axis only
    extra = runs[runs["seed"] >= LOW]
    assert set(extra["node_id"]) <= {"test_tiny.py::test_clear", "test_tiny.py::test_unclear"}
    assert f"; decided at {clear['n']} seeds" in done.stdout
    assert f"; reached the maximum {HIGH} seeds" in done.stdout

    again = pytest_in(tmp_path, "--ablab-seeds", f"{LOW}..{HIGH}", "--ablab-reuse")
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(_table(tmp_path, "runs")) == len(runs)  # every round's seeds were reused
    latest = _table(tmp_path, "claims").tail(2)
    assert list(latest["n"]) == list(claims["n"])
    assert list(latest["verdict"]) == list(claims["verdict"])


@pytest.mark.parametrize(("text", "expected"), [
    ("5", SeedCount(5, 5)), ("3..8", SeedCount(3, 8)), ("2..3", SeedCount(2, 3)),
])
def test_seed_counts_parse(text: str, expected: SeedCount) -> None:
    assert parse_seed_count(text) == expected


@pytest.mark.parametrize("text", ["0", "3..2", "3..3", "1..5", "a..b", "3..", "..8", "-2"])
def test_a_bad_seed_count_names_the_allowed_forms(text: str) -> None:
    with pytest.raises(ValueError, match=rf"^'{text}' is not allowed; give an integer >= 1 "
                                         r"\(N seeds\) or a range MIN\.\.MAX with 2 <= MIN < "
                                         r"MAX, e\.g\. 3\.\.8$"):
        parse_seed_count(text)
