"""`python -m ablab report`: REPORT.md and figures from the results database."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from ablab.cli.common import add_db_option
from ablab.report.write import check_report_folder, write_report
from ablab.store import RunStore, open_store
from ablab.store.base import as_utc
from ablab.validate import given


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report", help="write REPORT.md and figures from the results database",
        description="Markdown tables per study and figures from the results database.")
    add_db_option(parser)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--session", action="append", default=None, metavar="ID",
                       type=given("a session id"),
                       help="a session to report; repeat for several (default: the newest, "
                            "i.e. the last pytest invocation with all its workers)")
    which.add_argument("--since", default=None, metavar="TIME",
                       help="every session started at or after TIME, an ISO date or date/time "
                            "(2026-12-05, 2026-12-05T14:30; UTC unless it has an offset)")
    which.add_argument("--all", action="store_true", help="every session in the database")
    parser.add_argument("--study", default=None, metavar="NAME", type=given("a study name"),
                        help="only this study")
    parser.add_argument("--out", default="results", type=given("a folder"), metavar="DIR",
                        help="folder for REPORT.md and figures/ (default results)")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    # Before the rows are read and the figures drawn: a folder that cannot take the report.
    check_report_folder(Path(args.out), f"--out {args.out}")
    if args.since is not None:
        parse_since(args.since)  # a malformed time is one line before the database is opened
    with open_store(args.db) as store:  # a bad URL is a one-line error in ablab.__main__
        store.check(write=False)  # a foreign or damaged database: one line, left as it was
        path = _report(store, args)
    print(f"wrote {path}")
    return 0


def parse_since(text: str) -> datetime:
    """An ISO date or date/time; without an offset it is UTC (the store's rows are)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--since {text!r} is not an ISO date or date/time; e.g. 2026-12-05 "
                         "or 2026-12-05T14:30 (UTC unless an offset is given)") from None
    return as_utc(moment)


def chosen_sessions(store: RunStore, args: argparse.Namespace) -> list[str]:
    """The sessions to report, oldest first: those named, those started since a time, all, or
    the newest (one pytest invocation: every worker writes under the controller's id)."""
    known = store.sessions()
    if not known:
        raise ValueError(f"no runs in {store.url}; run some ablations first, e.g. "
                         f"`pytest ablations -k init`")
    if args.session:
        unknown = [s for s in dict.fromkeys(args.session) if s not in known]
        if unknown:
            raise ValueError(f"session {', '.join(map(repr, unknown))} is not in {store.url}; "
                             f"newest: {', '.join(known[-3:])}")
        return [s for s in known if s in set(args.session)]
    if args.since is not None:
        since, starts = parse_since(args.since), store.session_starts()
        found = [s for s in known if starts[s] >= since]
        if not found:
            newest = known[-1]
            raise ValueError(f"--since {args.since}: no session started since then in "
                             f"{store.url}; the newest, {newest}, started "
                             f"{starts[newest]:%Y-%m-%dT%H:%M:%S} UTC")
        return found
    return known if args.all else [known[-1]]


def _report(store: RunStore, args: argparse.Namespace) -> Path:
    sessions = chosen_sessions(store, args)
    command = " ".join(["python -m ablab", *sys.argv[1:]])
    return write_report(store, sessions, Path(args.out), command, args.study)
