"""`python -m ablab export`: one session's rows as CSV or Parquet (the baseline format)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ablab.cli.common import add_db_option
from ablab.gate.export import check_format, session_frame, write_table
from ablab.validate import given
from ablab.writable import check_file


def main(args: argparse.Namespace) -> int:
    out = Path(args.out)
    check_format(out)
    check_file(out, f"--out {args.out}", example="baseline.csv")  # before the rows are read
    session, frame = session_frame(args.db, args.session)
    write_table(frame, out)
    print(f"wrote {len(frame)} rows of session {session} to {out}")
    return 0


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export", help="a session's rows as CSV or Parquet (the baseline format)",
        description="Write one session's rows, one column per field and scalar metric.")
    parser.add_argument("--out", required=True, metavar="FILE", type=given("a file path"),
                        help="output file; .csv or .parquet picks the format")
    add_db_option(parser)
    parser.add_argument("--session", default=None, metavar="ID", type=given("a session id"),
                        help="session id (default: the newest session)")
    parser.set_defaults(func=main)
