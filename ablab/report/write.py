"""Writing a report: the rows of some sessions -> DIR/REPORT.md and DIR/figures/*.png.

The report and its figures are drawn into a hidden folder inside DIR and moved into place
together at the end (figures/ first, then REPORT.md, each by a rename), so a report killed
while drawing leaves the previous REPORT.md and figures/ as they were, never the old text
beside some of the new figures. A hidden folder left by a killed run is removed by the next.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ablab.report.markdown import report_markdown, studies
from ablab.scale.missing import untrained_markdown
from ablab.store import RunStore
from ablab.store.artifacts import artifacts_root
from ablab.writable import NotWritable, check_folder

STAGE_PREFIX, STAGE_SUFFIX = ".report-", ".partial"


def check_report_folder(out: Path, head: str) -> None:
    """NotWritable unless DIR/REPORT.md and DIR/figures/ can be written: asked before the rows
    are read and the figures drawn (`head`: the option and its value)."""
    check_folder(out, head)
    if (out / "REPORT.md").is_dir():
        raise NotWritable(f"{head}: {out / 'REPORT.md'} is a folder; the report is a file "
                          "there, so move the folder or give another one")


def write_report(store: RunStore, sessions: Sequence[str], out: Path, command: str,
                 study: str | None = None) -> Path:
    """DIR/REPORT.md and DIR/figures/*.png for the sessions' rows (of one study if given)."""
    from ablab.report.search_sections import search_sections
    from ablab.report.study_figures import study_figures  # matplotlib only when drawing

    rows = [r for s in sessions for r in store.rows(session=s, study=study)]
    if not rows:
        what = f"study {study!r} in " if study else ""
        raise ValueError(f"no runs for {what}session {', '.join(sessions)} in {store.url}")
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(f"{STAGE_PREFIX}*{STAGE_SUFFIX}"):
        shutil.rmtree(stale, ignore_errors=True)
    stage = Path(tempfile.mkdtemp(dir=out, prefix=STAGE_PREFIX, suffix=STAGE_SUFFIX))
    try:
        parts = studies(rows)
        root = artifacts_root(store.url)
        figures = {name: study_figures(name, study_rows, summary, stage, root)
                   for name, study_rows, summary in parts}
        searches = search_sections(store, stage / "figures", sessions)
        claims = store.claims(sessions=sessions, study=study)
        text = report_markdown(rows, sessions, command, figures, searches, parts, claims)
        text += "".join(f"\n{m}" for s in sessions if (m := untrained_markdown(store, s)))
        (stage / "REPORT.md").write_text(text, encoding="utf-8")
        (stage / "figures").mkdir(exist_ok=True)
        _move_into_place(stage, out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return out / "REPORT.md"


def _move_into_place(stage: Path, out: Path) -> None:
    """The staged figures/ replaces out/figures/ (the old one leaves with the stage), then the
    staged REPORT.md replaces out/REPORT.md."""
    figures = out / "figures"
    if figures.exists():
        figures.rename(stage / "figures-previous")
    (stage / "figures").rename(figures)
    (stage / "REPORT.md").replace(out / "REPORT.md")
