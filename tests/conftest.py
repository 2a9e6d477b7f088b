"""Fixtures shared by the harness's own tests: where the real data is, a session cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


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

