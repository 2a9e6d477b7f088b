"""A simulated cluster for tests/test_cluster.py: a PostgreSQL database of the test's own and
"machines" that are pytest processes, each in its own working directory."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.conftest import REPO, child_env

STUDIES = ("ablations/test_init.py", "ablations/test_dropout.py")
# What a machine's checkout needs to run the studies (the engine comes from PYTHONPATH).
CHECKOUT = ("ablations", "models", "datasets", "searches", "pyproject.toml", "conftest.py")


@contextmanager
def own_database(server_url: str) -> Iterator[str]:
    """A fresh database on the server (CREATE DATABASE), dropped afterwards."""
    name = f"ablab_cluster_{secrets.token_hex(4)}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def machine(root: Path, name: str) -> Path:
    """A working directory holding a copy of the repository's studies and factories."""
    folder = root / name
    folder.mkdir()
    for entry in CHECKOUT:
        source = REPO / entry
        if source.is_dir():
            shutil.copytree(source, folder / entry, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, folder / entry)
    return folder


def start(folder: Path, db: str, *options: str) -> subprocess.Popen[str]:
    """`pytest` on the two studies in `folder`, two seeds, into `db`; output captured."""
    env = {**child_env(), "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    env.pop("ABLAB_SESSION", None)
    command = [sys.executable, "-m", "pytest", *STUDIES, "-p", "no:cacheprovider", "-q",
               "--ablab-seeds", "2", "--ablab-db", db, *options]
    return subprocess.Popen(command, cwd=folder, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def finish(process: subprocess.Popen[str], timeout: float = 900) -> str:
    out, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, out[-3000:]
    return out


def claim_lines(output: str) -> list[str]:
    """The terminal summary's claim lines ("- [study] a vs b ..."), sorted."""
    return sorted(line for line in output.splitlines() if line.startswith("- ["))


def without_columns(table: str, dropped: Sequence[str]) -> list[str]:
    """A GitHub Markdown table's body rows with the named columns removed, sorted: the same
    cells whatever order the shards wrote them in."""
    lines = table.splitlines()
    headers = [h.strip() for h in lines[0].strip("|").split("|")]
    keep = [i for i, h in enumerate(headers) if h not in dropped]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]
    return sorted("|".join(row[i] for i in keep) for row in rows)
