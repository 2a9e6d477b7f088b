"""What several `python -m ablab` commands share: the --db option and the one-line error."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ablab.data.loading import default_cache
from ablab.writable import check_folder


class CommandError(Exception):
    """Bad input to a command: printed as one line, exit code 2."""


def add_db_option(parser: Any, also: str = "") -> None:
    """The results database every reading or writing command takes (`also`: what else the
    command keeps there)."""
    parser.add_argument("--db", default=None, metavar="URL", type=given("a database URL"),
                        help=f"SQLAlchemy URL of the results database{also} "
                             "(default ABLAB_DB or sqlite:///results/ablab.db)")


def given(what: str) -> Callable[[str], str]:
    """An argparse type for text that may not be empty (`--db "$URL"` with URL unset would
    otherwise quietly mean the default); `what` is what to give instead."""
    def text(value: str) -> str:
        if not value.strip():
            raise argparse.ArgumentTypeError(f"{value!r} is not allowed; give {what}")
        return value

    return text


def checked_cache(option: Path | None = None) -> Path:
    """The decoded-data cache: the option, else ABLAB_CACHE, else the user's cache folder. A
    folder the user named (option or variable) must be writable before anything is decoded
    into it; the default is made when a real data set first needs it."""
    if option is not None:
        check_folder(option, f"--cache {option}")
        return option
    explicit = os.environ.get("ABLAB_CACHE")
    if explicit:
        check_folder(Path(explicit), f"ABLAB_CACHE={explicit}")
    return default_cache()
