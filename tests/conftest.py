"""Shared fixtures for ablab's own tests."""

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
