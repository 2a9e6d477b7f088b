"""Writing a report: the rows of some sessions -> DIR/REPORT.md and DIR/figures/*.png."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ablab.atomic import write_text
from ablab.report.markdown import report_markdown, studies
from ablab.scale.missing import untrained_markdown
from ablab.store import RunStore
from ablab.store.artifacts import artifacts_root


def write_report(store: RunStore, sessions: Sequence[str], out: Path, command: str,
                 study: str | None = None) -> Path:
    """DIR/REPORT.md and DIR/figures/*.png for the sessions' rows (of one study if given)."""
    from ablab.report.search_sections import search_sections
    from ablab.report.study_figures import study_figures  # matplotlib only when drawing

    rows = [r for s in sessions for r in store.rows(session=s, study=study)]
    if not rows:
        what = f"study {study!r} in " if study else ""
        raise ValueError(f"no runs for {what}session {', '.join(sessions)} in {store.url}")
    parts = studies(rows)
    root = artifacts_root(store.url)
    figures = {name: study_figures(name, study_rows, summary, out, root)
               for name, study_rows, summary in parts}
    searches = search_sections(store, out / "figures", sessions)
    claims = store.claims(sessions=sessions, study=study)
    text = report_markdown(rows, sessions, command, figures, searches, parts, claims)
    text += "".join(f"\n{m}" for s in sessions if (m := untrained_markdown(store, s)))
    path = out / "REPORT.md"
    out.mkdir(parents=True, exist_ok=True)
    write_text(path, text)
    return path
