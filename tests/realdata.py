"""Helpers for tests that read the real data files."""

from __future__ import annotations

from pathlib import Path

import pytest


def need(path: Path) -> Path:
    """`path`, or a skip naming it."""
    if not path.exists():
        pytest.skip(f"real data: {path} is missing")
    return path
