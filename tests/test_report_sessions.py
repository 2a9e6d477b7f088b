"""Which sessions `python -m ablab report` covers: the newest by default, `--session` several
times, `--since TIME`; the header names them; bad values are one line, exit 2."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ablab.cli.main import main
from ablab.store import open_store
from tests.report_rows import row

# (session, its rows' start time UTC): three invocations, one module each
SESSIONS = {"mon": datetime(2026, 12, 7, 9, 0, tzinfo=UTC),
            "tue": datetime(2026, 12, 8, 9, 0, tzinfo=UTC),
            "wed": datetime(2026, 12, 9, 9, 0, tzinfo=UTC)}


@pytest.fixture
def url(tmp_path: Path) -> str:
    """Each session trained its own study (two variants, two seeds, a row a minute)."""
    address = f"sqlite:///{tmp_path / 'runs.db'}"
    with open_store(address) as store:
        for session, start in SESSIONS.items():
            for i, (variant, seed) in enumerate((v, s) for v in ("a", "b") for s in (0, 1)):
                store.append(dataclasses.replace(
                    row(0, variant, seed, 0.8 + 0.05 * seed, study=f"study_{session}"),
                    id=None, session_id=session, created_at=start.replace(minute=i)))
    return address


def report(url: str, tmp_path: Path, *args: str) -> str:
    assert main(["report", "--db", url, "--out", str(tmp_path / "out"), *args]) == 0
    return (tmp_path / "out" / "REPORT.md").read_text(encoding="utf-8")


def covered(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("| sessions "))


def test_the_newest_session_by_default(url: str, tmp_path: Path) -> None:
    text = report(url, tmp_path)
    assert "1: wed (4 rows)" in covered(text)
    assert "## study_wed" in text
    assert "## study_tue" not in text


def test_several_sessions_by_name(url: str, tmp_path: Path) -> None:
    text = report(url, tmp_path, "--session", "wed", "--session", "mon")
    assert "2: mon (4 rows), wed (4 rows)" in covered(text)  # oldest first
    assert "## study_mon" in text
    assert "## study_tue" not in text


@pytest.mark.parametrize(("since", "expected"), [
    ("2026-12-08", "2: tue (4 rows), wed (4 rows)"),
    ("2026-12-08T09:00", "2: tue (4 rows), wed (4 rows)"),  # at the start counts
    ("2026-12-08T09:00:01", "1: wed (4 rows)"),
    ("2026-12-08T10:00+02:00", "2: tue (4 rows), wed (4 rows)"),  # 08:00 UTC
    ("2026-12-01", "3: mon (4 rows), tue (4 rows), wed (4 rows)"),
])
def test_every_session_started_since(url: str, tmp_path: Path, since: str,
                                     expected: str) -> None:
    assert expected in covered(report(url, tmp_path, "--since", since))


@pytest.mark.parametrize(("args", "message"), [
    (("--since", "yesterday"), "--since 'yesterday' is not an ISO date or date/time; e.g. "),
    (("--since", "2026-12-10"), "--since 2026-12-10: no session started since then in "),
    (("--session", "wed", "--session", "thu"), "session 'thu' is not in "),
])
def test_bad_session_choices_are_one_line(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...],
    message: str,
) -> None:
    assert main(["report", "--db", url, "--out", str(tmp_path / "out"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"ablab report: error: {message}"), err
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists()
