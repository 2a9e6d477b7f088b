"""`python -m ablab report`: REPORT.md and figures from the results database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ablab.cli.common import add_db_option
from ablab.report.write import write_report
from ablab.store import RunStore, open_store


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report", help="write REPORT.md and figures from the results database",
        description="Markdown tables per study and figures from the results database.")
    add_db_option(parser)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--session", default=None, metavar="ID",
                       help="the session to report (default: the newest)")
    which.add_argument("--all", action="store_true", help="every session in the database")
    parser.add_argument("--study", default=None, metavar="NAME", help="only this study")
    parser.add_argument("--out", default=Path("results"), type=Path, metavar="DIR",
                        help="folder for REPORT.md and figures/ (default results)")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    with open_store(args.db) as store:  # a bad URL is a one-line error in ablab.__main__
        store.check(write=False)  # a foreign or damaged database: one line, left as it was
        path = _report(store, args)
    print(f"wrote {path}")
    return 0


def _report(store: RunStore, args: argparse.Namespace) -> Path:
    known = store.sessions()
    if not known:
        raise ValueError(f"no runs in {store.url}; run some ablations first, e.g. "
                         f"`pytest ablations -k init`")
    if args.session is not None and args.session not in known:
        raise ValueError(f"session {args.session!r} is not in {store.url}; "
                         f"newest: {', '.join(known[-3:])}")
    sessions = known if args.all else [args.session or known[-1]]
    command = " ".join(["python -m ablab", *sys.argv[1:]])
    return write_report(store, sessions, args.out, command, args.study)
