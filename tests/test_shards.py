"""Session ids and shards: parsing, the plan, expected costs, and the plugin end to end."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from ablab.scale.collection import expected_costs
from ablab.scale.shards import Shard, ShardError, check_session_id, parse_shard, plan
from ablab.store import SessionManifest, open_store
from tests.test_plugin import STUDY, pytest_in
from tests.test_store import make_row


@pytest.mark.parametrize(("text", "expected"), [("1/1", Shard(1, 1)), ("3/3", Shard(3, 3)),
                                                ("2/10", Shard(2, 10))])
def test_a_shard_is_i_of_n_from_one(text: str, expected: Shard) -> None:
    assert parse_shard(text) == expected


@pytest.mark.parametrize(("text", "says"), [
    ("0/3", "I must be 1..N"), ("4/3", "I must be 1..N"), ("1/0", "I must be 1..N"),
    ("a/b", "write I/N"), ("3", "write I/N"), ("-1/3", "write I/N"), ("1/3/4", "write I/N"),
])
def test_a_bad_shard_says_what_is_allowed(text: str, says: str) -> None:
    with pytest.raises(ShardError, match=says) as error:
        parse_shard(text)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("bad", ["", "two words", "-x", "a" * 65, "id/with/slash"])
def test_a_bad_session_id_is_refused(bad: str) -> None:
    with pytest.raises(ShardError, match="--ablab-session"):
        check_session_id(bad)


def test_without_costs_the_plan_is_an_equal_count_whatever_the_order() -> None:
    units = [f"study/v{i}" for i in range(10)]
    forward = plan(dict.fromkeys(units), 3)
    assert plan(dict.fromkeys(reversed(units)), 3) == forward
    assert sorted(Counter(forward.values()).values()) == [3, 3, 4]


def test_costs_balance_the_shards_rather_than_the_count() -> None:
    costs = {"slow": 5.0, **{f"fast{i}": 1.0 for i in range(5)}}
    assigned = plan(costs, 2)
    loads = Counter[int]()
    for unit, shard in assigned.items():
        loads[shard] += int(costs[unit])
    assert loads == {1: 5, 2: 5}
    assert [u for u, s in assigned.items() if s == assigned["slow"]] == ["slow"]


def test_a_unit_of_unknown_cost_counts_as_the_median() -> None:
    assigned = plan({"a": 10.0, "b": 2.0, "c": None, "d": 2.0}, 2)  # c counts 2
    assert assigned["a"] != assigned["b"] == assigned["c"] == assigned["d"]


def test_expected_costs_read_earlier_sessions_of_the_same_profile(tmp_path: Path) -> None:
    manifest = SessionManifest(session_id="now", settings={"profile": "smoke"},
                               units={"contract/v0": ["tests::cell[0]", "tests::cell[3]"],
                                      "contract/v1": ["tests::cell[1]"]})
    with open_store(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        for session, profile, seconds in [("old", "smoke", 2.0), ("old", "full", 50.0),
                                          ("now", "smoke", 90.0)]:
            store.append(dataclasses.replace(
                make_row(session, 0), experiment={"profile": profile},
                timings={"train_seconds": seconds}))
        # seed 3 of v0 has no row: it counts as its unit's mean; v1 has none at all
        assert expected_costs(store, manifest) == {"contract/v0": 4.0, "contract/v1": None}
        # a row that shared its cell spent 0 s, but its test costs the cell's seconds alone
        store.append(dataclasses.replace(
            make_row("old", 1), experiment={"profile": "smoke"},
            timings={"train_seconds": 0.0, "shared_train_seconds": 3.0}))
        assert expected_costs(store, manifest)["contract/v1"] == 3.0


def _node_ids(db: Path) -> list[str]:
    with sqlite3.connect(db) as connection:
        return [r[0] for r in connection.execute("SELECT node_id FROM runs")]


@pytest.mark.parametrize(("args", "says"), [
    (["--ablab-shard", "0/2", "--ablab-session", "s"], "--ablab-shard 0/2: I must be 1..N"),
    (["--ablab-shard", "a/b", "--ablab-session", "s"], "--ablab-shard 'a/b': write I/N"),
    (["--ablab-shard", "1/2"], "--ablab-shard 1/2: needs --ablab-session ID"),
    (["--ablab-session", "no spaces"], "--ablab-session 'no spaces': use 1-64"),
])
def test_bad_input_stops_before_anything_trains(tmp_path: Path, args: list[str],
                                                says: str) -> None:
    (tmp_path / "test_tiny.py").write_text(STUDY)
    done = pytest_in(tmp_path, "--ablab-db", f"sqlite:///{tmp_path / 'r.db'}", *args)
    assert done.returncode == 4, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"ERROR: {says}")
    assert not (tmp_path / "r.db").exists() or not _node_ids(tmp_path / "r.db")


@pytest.mark.slow
def test_two_shards_train_every_cell_once_and_the_gather_trains_none(tmp_path: Path) -> None:
    (tmp_path / "test_tiny.py").write_text(STUDY)
    db = tmp_path / "r.db"
    common = ["--ablab-db", f"sqlite:///{db}", "--ablab-seeds", "2", "--ablab-session", "n1"]
    shards = [pytest_in(tmp_path, *common, "--ablab-shard", f"{i}/2") for i in (1, 2)]
    for done in shards:
        assert done.returncode == 0, done.stdout + done.stderr
        assert "1 of 2 units (2 tests); claims run in the gather" in done.stdout
    nodes = _node_ids(db)
    assert len(nodes) == len(set(nodes)) == 4
    first_shard = {n.rpartition("-")[2] for n in nodes[:2]}  # "he]" or "zeros]"
    assert len(first_shard) == 1, "a variant's seeds were split between shards"

    gather = pytest_in(tmp_path, *common, "--ablab-reuse")
    assert gather.returncode == 0, gather.stdout + gather.stderr
    assert "5 passed" in gather.stdout  # 4 reused cells and the claim
    assert "ablab: session n1: 4 tests besides claims, planned in 2 shards" in gather.stdout
    assert len(_node_ids(db)) == 4

    elsewhere = pytest_in(tmp_path, *common[:-1], "n2", "--ablab-reuse")
    assert elsewhere.returncode == 0, elsewhere.stdout + elsewhere.stderr
    assert len(_node_ids(db)) == 8, "a named session reused another session's rows"

    other = pytest_in(tmp_path, *common, "-k", "he")
    assert other.returncode == 4
    assert other.stderr.startswith("ERROR: --ablab-session n1: this collection differs from the "
                                   "one the session registered: 2 tests only there "
                                   "(test_tiny.py::test_tiny[seed0-zeros], ")
