"""`python -m ablab <command>`: each command lives in its own module with `add_parser`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from ablab.cli.common import CommandError
from ablab.project import ProjectError, find_pyproject, load_project
from ablab.store import StoreError, resolve_url

# Modules providing `add_parser(subparsers)`, which registers a subcommand and sets `func`
# (a callable taking the parsed arguments and returning the exit code).
COMMANDS: list[str] = [
    "ablab.cli.catalog", "ablab.cli.report", "ablab.cli.search", "ablab.cli.export",
    "ablab.cli.compare",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ablab", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        importlib.import_module(module).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:  # before the parser: the project's searches appear in its help
        load_project(find_pyproject(Path.cwd()))
    except ProjectError as error:
        print(f"ablab: error: {error}", file=sys.stderr)
        return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (CommandError, ValueError, StoreError) as error:
        message = str(error)
    except SQLAlchemyError as error:  # a database that answers but cannot be read
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        message = f"cannot read {resolve_url(getattr(args, 'db', None))}: {reason}"
    print(f"ablab {args.command}: error: {message}", file=sys.stderr)
    return 2
