"""Atomic writes: the target is whole or untouched, and no temporary file stays behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from ablab.atomic import atomic_path, write_text


def test_a_finished_write_replaces_the_target(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "REPORT.md"
    write_text(target, "old")
    write_text(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in target.parent.iterdir()] == ["REPORT.md"]


def test_a_failed_write_leaves_the_old_target_and_no_partial(tmp_path: Path) -> None:
    target = tmp_path / "table.csv"
    write_text(target, "old")

    def interrupted() -> None:
        with atomic_path(target) as partial:
            partial.write_text("half")
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        interrupted()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]
