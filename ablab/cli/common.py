"""What several `python -m ablab` commands share: the --db option and the one-line error."""

from __future__ import annotations

from typing import Any

from ablab.validate import given


class CommandError(Exception):
    """Bad input to a command: printed as one line, exit code 2."""


def add_db_option(parser: Any, also: str = "") -> None:
    """The results database every reading or writing command takes (`also`: what else the
    command keeps there)."""
    parser.add_argument("--db", default=None, metavar="URL", type=given("a database URL"),
                        help=f"SQLAlchemy URL of the results database{also} "
                             "(default ABLAB_DB or sqlite:///results/ablab.db)")
