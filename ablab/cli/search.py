"""`python -m ablab search SEARCH --n-trials N`: one worker of an Optuna search.

Start the same command (same --name, same --db) on several processes or machines and they share
one study. Trials are rows in `runs` beside the ablations; Optuna's tables sit in the same
database, so `optuna-dashboard <URL>` shows the study.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

import optuna
import torch
from optuna.trial import FrozenTrial, TrialState
from tqdm import tqdm

from ablab.cli.common import CommandError, add_db_option
from ablab.data.loading import checked_cache, given_root
from ablab.data.sources import CorruptData, DataUnavailable
from ablab.search.backend import GRACE_PERIOD, HEARTBEAT_INTERVAL, open_storage
from ablab.search.runner import SearchOptions, run_search, search_base
from ablab.search.spec import PRUNERS, SEARCHES, Search, get_search
from ablab.session import Session
from ablab.spec import PROFILES, check_device
from ablab.store import SqlStore, open_store
from ablab.train.devices import resolve_device


def _searches_epilog() -> str:
    lines = [f"  {name:<14} {search.description} (pruner: {search.pruner})"
             for name, search in sorted(SEARCHES.items())]
    return "searches:\n" + "\n".join(lines)


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "search", help="run one worker of an Optuna search over experiments",
        description=__doc__, epilog=_searches_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("search", metavar="SEARCH",
                        help=f"the search to run: {', '.join(sorted(SEARCHES))}")
    parser.add_argument("--n-trials", type=int, required=True, metavar="N",
                        help="trials this worker runs (other workers add their own)")
    add_db_option(parser, also=" and the Optuna study (a shared PostgreSQL for many machines)")
    parser.add_argument("--name", default=None, metavar="STUDY_NAME",
                        help="Optuna study name: workers with the same name share the study and "
                             "a stopped study resumes (default: the search's name)")
    parser.add_argument("--timeout", type=float, default=None, metavar="S",
                        help="stop starting trials after S seconds")
    parser.add_argument("--profile", choices=PROFILES, default="smoke",
                        help="smoke: embedded data, seconds per trial; full: real data")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="seeds the sampler (per trial number) and every trial's data split "
                             "and initialisation (default 0)")
    parser.add_argument("--pruner", choices=PRUNERS, default=None,
                        help="override the search's pruner")
    parser.add_argument("--epochs", type=int, default=None, metavar="E",
                        help="override the base experiment's epochs (the pruner's budget)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:<i>")
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="CPU threads for torch (default torch's); give each of K workers on "
                             "one machine about cores/K: tiny models only contend for more")
    parser.add_argument("--data", default=None, metavar="PATH",
                        help="root of the real data sets (default ABLAB_DATA)")
    parser.add_argument("--heartbeat-interval", type=int, default=HEARTBEAT_INTERVAL,
                        metavar="S", help="seconds between a running trial's heartbeats "
                                          f"(default {HEARTBEAT_INTERVAL})")
    parser.add_argument("--grace-period", type=int, default=GRACE_PERIOD, metavar="S",
                        help="a trial without heartbeat this long is failed and retried "
                             f"(default {GRACE_PERIOD})")
    parser.set_defaults(func=main)


def _validate(args: argparse.Namespace) -> None:
    """Every check that needs no database: bad input must write nothing."""
    get_search(args.search)
    positive = {"--n-trials": args.n_trials, "--heartbeat-interval": args.heartbeat_interval,
                "--grace-period": args.grace_period}
    for option, optional in (("--epochs", args.epochs), ("--threads", args.threads)):
        if optional is not None:
            positive[option] = optional
    for option, value in positive.items():
        if value <= 0:
            raise ValueError(f"{option} {value} is not allowed; give an integer >= 1")
    if args.timeout is not None and not (math.isfinite(args.timeout) and args.timeout > 0):
        raise ValueError(f"--timeout {args.timeout} is not allowed; give seconds > 0")
    if args.grace_period <= args.heartbeat_interval:
        raise ValueError(f"--grace-period {args.grace_period} is not allowed; it must exceed "
                         f"--heartbeat-interval {args.heartbeat_interval}")
    if args.seed < 0:
        raise ValueError(f"--seed {args.seed} is not allowed; give an integer >= 0")
    if args.name is not None and (not args.name.strip() or args.name != args.name.strip()):
        raise ValueError(f"--name {args.name!r} is not allowed; give a study name without "
                         "surrounding spaces")
    check_device(args.device)
    given_root(args.data, "--data")  # a folder, checked (ABLAB_DATA too)
    checked_cache()


def _progress(n_trials: int, name: str) -> tuple[tqdm[Any], Any]:
    """A tqdm bar on a terminal; elsewhere (a log, a pipe) one plain line per finished trial,
    flushed, so a long search shows where it is before it ends."""
    bar: tqdm[Any] = tqdm(total=n_trials, desc=name, unit="trial", disable=None)

    def update(study: optuna.Study, trial: FrozenTrial) -> None:
        bar.update(1)
        complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
        best = f"{max(t.value or 0.0 for t in complete):.4f}" if complete else "none"
        if not bar.disable:
            bar.set_postfix(best=best, last=trial.state.name.lower())
            return
        value = "" if trial.value is None else f" val_accuracy {trial.value:.4f}"
        seconds = trial.duration.total_seconds() if trial.duration else 0.0
        # A killed worker's trial is failed once its heartbeat is stale, and run again here.
        retry = trial.system_attrs.get("failed_trial")
        again = "" if retry is None else f" (retry of killed trial {retry})"
        print(f"trial {trial.number} {trial.state.name.lower()}{value}{again} {trial.params} "
              f"({seconds:.1f} s; {bar.n}/{n_trials} of this worker; best {best})", flush=True)

    return bar, update


def _command(args: argparse.Namespace) -> str:
    """The command as given, without --db (a URL may carry a password)."""
    parts = ["python -m ablab search", args.search, "--n-trials", str(args.n_trials),
             "--profile", args.profile, "--seed", str(args.seed)]
    for option in ("name", "pruner", "epochs", "timeout", "threads"):
        value = getattr(args, option)
        if value is not None:
            parts += [f"--{option}", str(value)]
    return " ".join(parts)


def _summary(study: optuna.Study, url: str) -> str:
    counts = {s.name.lower(): 0 for s in TrialState}
    for trial in study.trials:
        counts[trial.state.name.lower()] += 1
    states = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    line = f"study {study.study_name}: {len(study.trials)} trials ({states})"
    if counts["complete"]:
        best = study.best_trial
        line += f"; best trial {best.number} val_accuracy {best.value:.4f} {best.params}"
    return f"{line}\nrows and study in {url}"


def main(args: argparse.Namespace) -> int:
    _validate(args)
    search = get_search(args.search)
    with open_store(args.db) as store:  # a bad URL is a one-line error in ablab.__main__
        store.check()
        return _run(args, search, store)


def _run(args: argparse.Namespace, search: Search, store: SqlStore) -> int:
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    session = Session(store=store, device=resolve_device(args.device), profile=args.profile,
                      data_root=given_root(args.data, "--data"))
    options = SearchOptions(n_trials=args.n_trials, study_name=args.name or search.name,
                            seed=args.seed, pruner=args.pruner, epochs=args.epochs,
                            timeout=args.timeout, command=_command(args))
    # Build the base experiment and load its data before Optuna creates anything: a bad
    # profile or missing data files end here with nothing written.
    try:
        session.data(session.prepare(search_base(search, args.profile, args.seed, args.epochs)))
    except (DataUnavailable, CorruptData) as error:
        raise CommandError(f"--profile {args.profile}: {error}") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the progress bar says it instead
    storage = open_storage(store.url, heartbeat_interval=args.heartbeat_interval,
                           grace_period=args.grace_period)
    bar, update = _progress(args.n_trials, options.study_name)
    try:
        with bar:
            study = run_search(search, session, storage, options, callbacks=[update])
    except KeyboardInterrupt:
        print(f"interrupted: the running trial is marked failed; run again with --name "
              f"{options.study_name} to resume the study", file=sys.stderr)
        return 130
    print(_summary(study, store.url))
    return 0
