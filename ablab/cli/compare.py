"""`python -m ablab compare`: the regression gate (rules in ablab.gate.compare)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ablab.atomic import write_text
from ablab.cli.common import CommandError, add_db_option
from ablab.gate import compare
from ablab.gate.compare import compare_frames
from ablab.gate.export import read_table, session_frame
from ablab.gate.markdown import markdown
from ablab.gate.verdicts import Thresholds
from ablab.scale.missing import untrained_markdown
from ablab.store import open_store
from ablab.validate import given
from ablab.writable import check_file


def _limits(args: argparse.Namespace) -> Thresholds:
    return Thresholds(floor=args.floor, epochs_floor=args.epochs_floor, k=args.k,
                      alpha=args.alpha, speed=args.speed, speed_ratio=args.speed_ratio)


def main(args: argparse.Namespace) -> int:
    limits = _limits(args)
    if args.out is not None:  # before anything is read or printed: the report must fit there
        check_file(Path(args.out), f"--out {args.out}", example="gate.md")
    baseline_path = Path(args.baseline)
    baseline = read_table(baseline_path)
    untrained = ""
    if args.current is not None:
        source, current = str(args.current), read_table(Path(args.current))
    else:
        session, current = session_frame(args.db, args.session)
        source = f"session {session}"
        with open_store(args.db) as store:  # a named session's cells that no shard trained
            untrained = untrained_markdown(store, session)
    verdicts, missing = compare_frames(baseline, current, limits, args.metric, args.match)
    lost = missing.any_lost or bool(untrained)
    failed = any(v.regressed for v in verdicts) or (args.fail_missing and lost)
    text = markdown(source, str(baseline_path), verdicts, missing, limits, failed,
                    args.fail_missing, args.match)
    text += f"\n{untrained}" if untrained else ""
    print(text, end="")  # with nothing compared, it still lists the missing and new cells
    if not verdicts:  # a gate that judged nothing must not pass
        raise CommandError(f"nothing compared: none of the {len(current)} rows of {source} "
                           f"is a cell of {baseline_path}; check --baseline and --session")
    if args.out:
        write_text(Path(args.out), text)
    return 1 if failed else 0


def add_parser(subparsers: Any) -> None:
    defaults = Thresholds()
    parser = subparsers.add_parser(
        "compare", help="the regression gate: a session against a baseline table",
        description=compare.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, metavar="FILE", type=given("a file"),
                        help="baseline table (.csv or .parquet) written by `ablab export`")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--session", default=None, metavar="ID", type=given("a session id"),
                        help="session to judge (default: the newest in --db)")
    source.add_argument("--current", default=None, metavar="FILE", type=given("a file"),
                        help="judge an exported table instead of a database session")
    add_db_option(parser)
    parser.add_argument("--out", default=None, metavar="FILE.md", type=given("a file path"),
                        help="also write the Markdown report here")
    parser.add_argument("--floor", type=float, default=defaults.floor,
                        help=f"accuracy drop always tolerated (default {defaults.floor})")
    parser.add_argument("--epochs-floor", type=float, default=defaults.epochs_floor,
                        help="extra epochs to target always tolerated "
                             f"(default {defaults.epochs_floor})")
    parser.add_argument("-k", "--k", type=float, default=defaults.k,
                        help="standard errors of the difference (both sides' spread) a drop "
                             f"must exceed (default {defaults.k})")
    parser.add_argument("--alpha", type=float, default=defaults.alpha,
                        help=f"one-sided Welch test level (default {defaults.alpha})")
    parser.add_argument("--metric", action="append", default=[], metavar="COLUMN",
                        help="also gate this higher-is-better column (e.g. f1_macro); repeatable")
    parser.add_argument("--speed", action="store_true",
                        help="also gate samples_per_second and seconds_to_target (only on a "
                             "fixed, otherwise idle machine)")
    parser.add_argument("--speed-ratio", type=float, default=defaults.speed_ratio,
                        help="with --speed: how many times slower a cell may get "
                             f"(default {defaults.speed_ratio})")
    parser.add_argument("--match", choices=compare.MATCHES, default="cell",
                        help="pair cells by experiment key (cell, default) or by study and "
                             "variant alone (variant: a deliberate what-if run, e.g. "
                             "--ablab-set label_noise=0.6; never in CI)")
    parser.add_argument("--fail-missing", action="store_true",
                        help="also fail when baseline cells are missing from the run or their "
                             "experiment changed (CI: the baseline must be refreshed)")
    parser.set_defaults(func=main)
