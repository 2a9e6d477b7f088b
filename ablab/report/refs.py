"""What the Markdown and the figures share: a figure's file and caption, artifacts a row has."""

from __future__ import annotations

from dataclasses import dataclass

from ablab.store.base import RunRow


@dataclass(frozen=True)
class FigureRef:
    """A figure file (relative to the report folder) and its one-line caption."""

    path: str
    caption: str


def asked(row: RunRow, name: str) -> bool:
    """Whether the row's cell asked for artifact `name`."""
    record = row.metrics.get("artifacts") or {}
    return name in record.get("names", ())
