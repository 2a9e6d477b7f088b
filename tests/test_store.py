"""The store contract, run against every backend: SQLite and the PostgreSQL server."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ablab.store import ClaimRow, RunRow, SessionManifest, SqlStore, StoreError, open_store, sql
from ablab.store.sql import runs
from tests.conftest import REPO, postgres_url

WRITERS, ROWS_EACH = 4, 25


def make_row(session: str, n: int = 0, **changes: Any) -> RunRow:
    row = RunRow(
        session_id=session, study="contract", node_id=f"tests::cell[{n}]", variant=f"v{n % 3}",
        params={"n": n}, seed=n, experiment={"model": "mlp", "seed": n}, key=uuid.uuid4().hex,
        cell_key="cell", status="ok",
        metrics={"accuracy": 0.5 + n / 1000, "f1_macro": 0.4, "roc_auc": math.nan},
        history=[{"epoch": 1, "train_loss": 1.0}], timings={"train_seconds": 1.5},
        environment={"torch": "x"}, data_fingerprint="fp", control="v0",
    )
    return dataclasses.replace(row, **changes)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sub' / 'runs.db'}"
    return postgres_url()


@pytest.fixture
def store(url: str) -> Iterator[SqlStore]:
    opened = open_store(url)
    opened.check()
    yield opened
    opened.close()


@pytest.fixture
def session() -> str:
    return f"test-{uuid.uuid4().hex}"  # the PostgreSQL database is shared: scope by session


def test_append_then_read_back_unchanged(store: SqlStore, session: str) -> None:
    row = make_row(session, 7)
    row_id = store.append(row)
    (stored,) = store.rows(session=session)
    assert stored.id == row_id
    for field in ("study", "node_id", "variant", "params", "seed", "experiment", "key",
                  "status", "history", "timings", "environment", "control"):
        assert getattr(stored, field) == getattr(row, field), field
    assert stored.metrics["accuracy"] == pytest.approx(0.507)
    assert stored.metrics["roc_auc"] is None  # JSON has no NaN
    with store.engine.connect() as connection:  # the column kept for SQL queries
        query = sa.select(runs.c.accuracy).where(runs.c.session_id == session)
        assert connection.execute(query).scalar_one() == pytest.approx(0.507)


def test_find_returns_the_newest_row_of_a_key(store: SqlStore, session: str) -> None:
    key = uuid.uuid4().hex
    store.append(make_row(session, 1, key=key, status="ok"))
    store.append(make_row(session, 2, key=key, status="diverged"))
    found = store.find(key)
    assert found is not None
    assert found.status == "diverged"
    assert store.find(uuid.uuid4().hex) is None


def test_find_in_a_session_ignores_the_others(store: SqlStore, session: str) -> None:
    key = uuid.uuid4().hex
    store.append(make_row(session, 1, key=key, status="ok"))
    store.append(make_row(f"{session}-later", 2, key=key, status="diverged"))
    found = store.find(key, session=session)
    assert found is not None
    assert found.status == "ok"
    assert store.find(key, session=f"{session}-other") is None


def test_rows_filter_by_session_and_study(store: SqlStore, session: str) -> None:
    other = session + "-other"
    store.append(make_row(session, 1))
    store.append(make_row(session, 2, study="elsewhere"))
    store.append(make_row(other, 3))
    assert [r.seed for r in store.rows(session=session)] == [1, 2]
    assert [r.seed for r in store.rows(session=session, study="contract")] == [1]
    sessions = store.sessions()
    assert sessions.index(session) < sessions.index(other)


def test_a_failed_append_leaves_no_row(store: SqlStore, session: str) -> None:
    with pytest.raises(IntegrityError):
        store.append(make_row(session, 1, status=None))
    assert store.rows(session=session) == []


def test_an_older_table_gains_new_nullable_columns(tmp_path: Path, session: str) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    with open_store(url) as old:
        with old.engine.begin() as connection:  # the table as an older ablab made it
            columns = ", ".join(f'"{c.name}" TEXT' for c in runs.columns
                                if c.name not in ("trial", "control"))
            connection.execute(sa.text(f"CREATE TABLE runs ({columns})"))
        assert old.rows() == []  # reading an older table neither fails nor alters it
        old.append(make_row(session, 1, trial=3, control="v0"))
        assert [(r.trial, r.control) for r in old.rows(session=session)] == [(3, "v0")]


def test_a_table_another_process_creates_meanwhile_is_not_an_error(
    tmp_path: Path, session: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race two xdist workers ran into on a fresh database: our CREATE of `runs` fails
    because another process made it after our check, and that process has not made the
    other tables yet when we look again. The store retries instead of failing the cell."""
    url = f"sqlite:///{tmp_path / 'race.db'}"
    real = sql.metadata.create_all
    calls: list[int] = []

    def raced(engine: sa.Engine, checkfirst: bool = True) -> None:
        calls.append(1)
        if len(calls) == 1:  # the other process wins the first table, then we try it too
            runs.create(engine)
            runs.create(engine)
        real(engine, checkfirst=checkfirst)

    monkeypatch.setattr(sql.metadata, "create_all", raced)
    with open_store(url) as fresh:
        fresh.append(make_row(session, 1))
        assert len(fresh.rows(session=session)) == 1
    assert len(calls) == 2


def test_several_processes_append_at_once_without_loss_or_doubles(
    url: str, session: str
) -> None:
    with open_store(url) as store:
        store.append(make_row(session, -1))  # the table exists before the race
    script = (
        "import sys; from tests.test_store import make_row; from ablab.store import open_store\n"
        "url, session, writer, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), "
        "int(sys.argv[4])\n"
        "with open_store(url) as store:\n"
        "    for i in range(count): store.append(make_row(session, writer * 1000 + i))\n"
    )
    writers = [
        subprocess.Popen([sys.executable, "-c", script, url, session, str(w), str(ROWS_EACH)],
                         cwd=REPO)
        for w in range(WRITERS)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0] * WRITERS
    with open_store(url) as store:
        seeds = [r.seed for r in store.rows(session=session) if r.seed >= 0]
    expected = {w * 1000 + i for w in range(WRITERS) for i in range(ROWS_EACH)}
    assert len(seeds) == len(expected)
    assert set(seeds) == expected


def test_pandas_reads_the_table(store: SqlStore, session: str) -> None:
    store.append(make_row(session, 1))
    frame = pd.read_sql_table("runs", store.engine)
    mine = frame[frame["session_id"] == session]
    assert len(mine) == 1
    metrics = mine["metrics"].iloc[0]
    assert (json.loads(metrics) if isinstance(metrics, str) else metrics)["f1_macro"] == 0.4


def test_reading_a_missing_sqlite_file_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "none" / "runs.db"
    with open_store(f"sqlite:///{path}") as store:
        assert store.rows() == []
        assert store.find("k") is None
    assert not path.parent.exists()


@pytest.mark.parametrize(("url", "message"), [
    ("postgresql://postgres@127.0.0.1:1/test", "cannot reach database"),
    ("nosuchdb://x", "is not usable"),
    ("sqlite:////etc/hostname/ablab/runs.db", "cannot create folder"),
])
def test_unusable_databases_fail_in_one_line(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message) as error, open_store(url) as store:
        store.check()
    assert "\n" not in str(error.value)


def test_baselines_leave_out_optuna_trial_rows(tmp_path: Path, session: str) -> None:
    from ablab.gate.export import session_rows

    with open_store(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        store.append(make_row(session, 1))
        store.append(make_row(session, 2, trial=0))
        _, rows = session_rows(store, session)
    assert [r.seed for r in rows] == [1]


def test_environment_records_the_machine_cpu_count() -> None:
    import os

    import torch

    from ablab.store.environment import environment

    found = environment(torch.device("cpu"))
    assert found["cpu_count"] == os.cpu_count()
    assert found["torch_threads"] == torch.get_num_threads()


def make_claim(session: str, **changes: Any) -> ClaimRow:
    claim = ClaimRow(
        session_id=session, study="contract", node_id="tests::test_claim", kind="comparison",
        a="v1", b="v0", metric="loss", direction="lower", n=3, diff=-0.1, ci_low=-0.2,
        ci_high=math.nan, p_value=0.01, alpha=0.05, verdict="better", asserted=True,
        passed=False, text="v1 vs v0 on loss: better", seeds=[0, 1, 2],
    )
    return dataclasses.replace(claim, **changes)


def test_claims_are_stored_beside_the_runs(store: SqlStore, session: str) -> None:
    other = session + "-other"
    store.append_claim(make_claim(session))
    store.append_claim(make_claim(session, study="elsewhere", asserted=False, passed=None))
    store.append_claim(make_claim(other))
    first, second = store.claims(sessions=[session])
    assert (first["verdict"], first["asserted"], first["passed"]) == ("better", True, False)
    assert first["ci_high"] is None  # no NaN in the database
    assert first["seeds"] == [0, 1, 2]
    assert (second["asserted"], second["passed"]) == (False, None)
    assert [c["study"] for c in store.claims(sessions=[session, other], study="contract")] == [
        "contract", "contract"]


def test_a_claim_row_names_its_allowed_kinds() -> None:
    with pytest.raises(ValueError, match=r"kind='pair' is not allowed; choose one of"):
        make_claim("s", kind="pair")


def test_the_first_manifest_of_a_session_wins(store: SqlStore, session: str) -> None:
    assert store.manifest(session) is None
    first = SessionManifest(session_id=session, settings={"profile": "smoke", "seeds": 2},
                            units={"init/mlp-he": ["a[seed0]", "a[seed1]"]}, shards=2,
                            plan={"init/mlp-he": 2})
    stored = store.register(first)
    again = store.register(dataclasses.replace(first, shards=3, plan={"init/mlp-he": 1}))
    for got in (stored, again, store.manifest(session)):
        assert got is not None
        assert (got.settings, got.units, got.shards, got.plan) == (
            first.settings, first.units, 2, {"init/mlp-he": 2})
