"""Shared fixtures for ablab's own tests: PostgreSQL, where the real data is, a session cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("ABLAB_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_url() -> str:
    """The test PostgreSQL URL; skips where no server answers, except in CI where it must."""
    from ablab.store import StoreError, open_store

    with open_store(PG_URL) as store:
        try:
            store.check()
        except StoreError as error:
            if os.environ.get("CI"):
                pytest.fail(f"CI must reach PostgreSQL for the store contract tests: {error}")
            pytest.skip(f"no PostgreSQL server answers: {error}")
    return PG_URL


@pytest.fixture
def pg_url() -> str:
    return postgres_url()


@pytest.fixture(scope="session")
def real_root() -> Path:
    """ABLAB_DATA, or a skip saying it is needed."""
    root = os.environ.get("ABLAB_DATA")
    if not root:
        pytest.skip("real data: set ABLAB_DATA to the data folder (../shared/data in CI)")
    return Path(root)


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One decoded-data cache for the whole test session: each real set decodes once."""
    return tmp_path_factory.mktemp("ablab-cache")


def child_env() -> dict[str, str]:
    """This process's environment for a child process (pytest, python -m ablab), less what
    marks this process as a pytest-xdist worker: a child pytest that inherits
    PYTEST_XDIST_WORKER believes it is a worker itself (pytest-benchmark warns, ablab's GPU
    slots follow the worker's number)."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith("PYTEST_XDIST_") and k != "PYTEST_CURRENT_TEST"}
