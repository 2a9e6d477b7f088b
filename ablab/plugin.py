"""pytest hooks: options, start-up checks, the seed axis, markers. The fixtures are in
ablab.fixtures, the summary table in ablab.terminal."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

import pytest
import torch

from ablab import claim_fixtures, fixtures
from ablab.batching import SeedBatching, parse_seed_batch
from ablab.cells import control_error
from ablab.claim_fixtures import CLAIM_FIXTURES, session_seeds
from ablab.data_root_check import DataRootCheck
from ablab.overrides import OverrideError, check_overrides, check_registered, parse_overrides
from ablab.project import PYPROJECT, ProjectError, load_project
from ablab.registry import load_builtins
from ablab.scale.cell_lock import CellLocks, lock_folder
from ablab.scale.collection import is_claim
from ablab.scale.plugin import NamedSession
from ablab.scale.shards import Shard, ShardError, check_session_id, parse_shard
from ablab.scale.variants import VariantDistribution
from ablab.scale.waiting import STATE_INPUT
from ablab.session import Session, new_session_id
from ablab.spec import AMPS, PROFILES, check_device
from ablab.startup import MODELS_DIR, check_environment, check_outputs, data_root
from ablab.stash import RECORDS_KEY, SESSION_KEY, Records
from ablab.stats.sequential import SeedCount, parse_seed_count
from ablab.store import StoreError, open_store
from ablab.terminal import SummaryReporter
from ablab.train.devices import resolve_device
from ablab.train.slots import pin_worker
from ablab.train.threads import DEFAULT_THREADS, apply_threads, parse_threads
from ablab.validate import given


def _seed_count(text: str) -> SeedCount:
    try:
        return parse_seed_count(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _natural_int(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed; give an integer >= 0")
    return int(text)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ablab", "ablab ablations")
    group.addoption("--ablab-profile", choices=PROFILES, default="smoke",
                    help="smoke: embedded data, seconds per cell; full: the studies' real data "
                         "and settings (default smoke)")
    group.addoption("--ablab-seeds", type=_seed_count, default="3", metavar="N|MIN..MAX",
                    help="train every cell with N seeds, K..K+N-1 (default 3); MIN..MAX: "
                         "MIN seeds, then more for the cells of undecided claims, one at a "
                         "time up to MAX (group-sequential test, docs/studies.md)")
    group.addoption("--ablab-first-seed", type=_natural_int, default=0, metavar="K",
                    help="the first seed (default 0): other seeds for the same cells, e.g. "
                         "to check the regression gate against a seed swap")
    group.addoption("--ablab-device", default="auto", metavar="DEVICE",
                    help="auto, cpu, cuda or cuda:<i> (default auto: CUDA when present)")
    group.addoption("--ablab-db", default=None, metavar="URL", type=given("a database URL"),
                    help="SQLAlchemy URL of the results database (default ABLAB_DB or "
                         "sqlite:///results/ablab.db)")
    group.addoption("--ablab-data", default=None, metavar="PATH", type=given("a folder"),
                    help="root of the real data sets (default ABLAB_DATA)")
    group.addoption("--ablab-reuse", action="store_true",
                    help="do not retrain cells whose key already has a row; report them as reused")
    group.addoption("--ablab-download", action="store_true",
                    help="let torchvision download missing data sets (off: nothing is fetched)")
    group.addoption("--ablab-save-models", action="store_true",
                    help="save each trained model's weights under results/models/<study>/")
    group.addoption("--ablab-report", action="store_true",
                    help="write results/REPORT.md and results/figures/ for this session at the "
                         "end (python -m ablab report does the same afterwards)")
    group.addoption("--ablab-session", default=None, metavar="ID", type=given("a session id"),
                    help="write into the named session (default ABLAB_SESSION, else a new id): "
                         "every process and machine naming the same id shares it")
    group.addoption("--ablab-shard", default=None, metavar="I/N",
                    help="run shard I of N of the named session's cells (needs --ablab-session; "
                         "docs/scale-out.md)")
    group.addoption("--ablab-amp", choices=AMPS, default="none",
                    help="mixed precision on CUDA: bf16 autocast (default none)")
    group.addoption("--ablab-tf32", action="store_true",
                    help="TF32 matmuls and convolutions on CUDA (default off: strict FP32)")
    group.addoption("--ablab-channels-last", action="store_true",
                    help="channels-last memory layout for image models on CUDA")
    group.addoption("--ablab-seed-batch", default="auto", metavar="auto|off|K",
                    help="train the seeds of a variant together as one stacked model: auto "
                         "(all of them, up to 16 per stack), off, or at most K per stack "
                         "(default auto; results match sequential training, keys do not change)")
    group.addoption("--ablab-threads", default=DEFAULT_THREADS, metavar="N|auto",
                    help="CPU threads per process for torch and the BLAS pools, with or "
                         "without -n: N, or auto (the cores over the workers) (default 1, "
                         "measured fastest for small models)")
    group.addoption("--ablab-set", action="append", default=[], metavar="FIELD=VALUE",
                    help="change an Experiment field in every cell, e.g. epochs=20 or "
                         "optimizer_kwargs.weight_decay=0.01 (repeatable; changes the keys)")


def _cuda_options(config: pytest.Config, device: torch.device) -> dict[str, Any]:
    """The CUDA speed options; a usage error when they are asked for on another device."""
    options = {"amp": config.getoption("ablab_amp"), "tf32": config.getoption("ablab_tf32"),
               "channels_last": config.getoption("ablab_channels_last")}
    asked = [f"--ablab-{name.replace('_', '-')}" + (f" {value}" if name == "amp" else "")
             for name, value in options.items() if value not in ("none", False)]
    if asked and device.type != "cuda":
        raise pytest.UsageError(f"{', '.join(asked)}: needs a CUDA device; this run uses {device}")
    return options


def _overrides(texts: list[str]) -> dict[str, Any]:
    try:
        overrides = parse_overrides(texts)
    except ValueError as error:
        raise pytest.UsageError(f"--ablab-set {error}") from None
    try:  # what no cell could take; the registries are asked after collection
        check_overrides(overrides)
    except OverrideError as error:
        raise pytest.UsageError(str(error)) from None
    return overrides


def _device(option: str) -> torch.device:
    try:
        check_device(option)
    except ValueError as error:
        raise pytest.UsageError(f"--ablab-device: {error}") from None
    device = resolve_device(option)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise pytest.UsageError(f"--ablab-device {option}: no CUDA device on this machine")
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise pytest.UsageError(f"--ablab-device {option}: this machine has "
                                f"{torch.cuda.device_count()} CUDA device(s), cuda:0.."
                                f"cuda:{torch.cuda.device_count() - 1}")
    return device


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for name in ("ablation", "claim", "search", "gpu", "slow"):
        config.addinivalue_line("markers", f"{name}: see ablab's README")
    load_builtins()  # before the project's and any test's registrations (ablab.registry)
    _load_project(config)
    check_environment()
    overrides = _overrides(config.getoption("ablab_set"))
    try:
        store = open_store(config.getoption("ablab_db"))
        store.check()
    except StoreError as error:
        raise pytest.UsageError(f"--ablab-db: {error}") from None
    check_outputs(config, store.url)
    data = data_root(config.getoption("ablab_data"))
    if config.getoption("ablab_data") is not None and config.getoption("ablab_profile") == "full":
        config.pluginmanager.register(DataRootCheck(str(data)), "ablab-data-root")
    workerinput: dict[str, Any] = getattr(config, "workerinput", {})
    workers = int(workerinput.get("workercount", 1))
    apply_threads(_option(config, "threads", lambda text: parse_threads(text, workers)))
    records = config.stash[RECORDS_KEY] = Records()
    config.pluginmanager.register(records.collected, "ablab-cells")  # what claims are missing
    if getattr(config.option, "dist", "no") in ("load", "worksteal"):
        # The unit of distribution is a variant with all its seeds, and claims run after the
        # cells they read from the store, whichever worker trained them (ablab.scale.variants).
        config.pluginmanager.register(VariantDistribution.start(records.collected),
                                      "ablab-variants")
    config.pluginmanager.register(fixtures, "ablab-fixtures")  # run, profile, ablab_session
    config.pluginmanager.register(claim_fixtures, "ablab-claims")  # claim, finding, trend
    config.pluginmanager.register(SummaryReporter(config), "ablab-summary")
    pin_worker(os.environ)  # before CUDA starts: this worker's GPU or MIG slice
    device = _device(config.getoption("ablab_device"))
    named, shard = _named_session(config)
    session_id = workerinput.get("ablab_session") or named or new_session_id()
    if named is not None:
        settings = {"profile": config.getoption("ablab_profile"),
                    "seeds": session_seeds(config)}
        config.pluginmanager.register(NamedSession(store, named, settings, shard),
                                      "ablab-named-session")
    config.stash[SESSION_KEY] = Session(
        store=store,
        device=device,
        session_id=session_id,
        named=named is not None,
        profile=config.getoption("ablab_profile"),
        data_root=data,
        download=config.getoption("ablab_download"),
        reuse=config.getoption("ablab_reuse"),
        save_models=MODELS_DIR if config.getoption("ablab_save_models") else None,
        batching=SeedBatching(_option(config, "seed_batch", parse_seed_batch)),
        overrides=overrides,
        locks=_locks(config, session_id, named is not None),
        **_cuda_options(config, device),
    )


def _locks(config: pytest.Config, session_id: str, named: bool) -> CellLocks:
    """The session's cell locks (ablab.scale.cell_lock): needed where another process can
    share the session, under pytest-xdist or a named session; none in a lone process."""
    shared = named or hasattr(config, "workerinput") or getattr(
        config.option, "numprocesses", None)
    return CellLocks(lock_folder(session_id) if shared else None)


def _option(config: pytest.Config, name: str, parse: Callable[[str], int]) -> int:
    """An `--ablab-<name>` value parsed; a one-line usage error naming it when it is bad."""
    try:
        return parse(str(config.getoption(f"ablab_{name}")))
    except ValueError as error:
        raise pytest.UsageError(f"--ablab-{name.replace('_', '-')}: {error}") from None


def _named_session(config: pytest.Config) -> tuple[str | None, Shard | None]:
    """--ablab-session (or ABLAB_SESSION) and --ablab-shard, checked. A shard without a session
    id is refused: an id made up per shard would put every shard in a session of its own."""
    option = config.getoption("ablab_session")
    named = option or os.environ.get("ABLAB_SESSION") or None
    text = config.getoption("ablab_shard")
    try:
        shard = None if text is None else parse_shard(text)
        if named is not None:
            check_session_id(named)
    except ShardError as error:
        given = "" if option or named is None else " (from ABLAB_SESSION)"
        raise pytest.UsageError(f"{error}{given}") from None
    if shard is not None and named is None:
        raise pytest.UsageError(f"--ablab-shard {text}: needs --ablab-session ID (or "
                                "ABLAB_SESSION), the same on every shard, e.g. the CI run id")
    return named, shard



@pytest.hookimpl(optionalhook=True)
def _load_project(config: pytest.Config) -> None:
    """Import the modules the rootdir's pyproject.toml names under `[tool.ablab] imports`."""
    inipath = config.inipath
    pyproject = inipath if inipath and inipath.name == PYPROJECT else config.rootpath / PYPROJECT
    try:
        load_project(pyproject)
    except ProjectError as error:
        raise pytest.UsageError(str(error)) from None


def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: every worker writes its rows under the controller's session id."""
    node.workerinput["ablab_session"] = node.config.stash[SESSION_KEY].session_id


def pytest_unconfigure(config: pytest.Config) -> None:
    if SESSION_KEY in config.stash:
        session = config.stash[SESSION_KEY]
        session.store.close()
        if not (session.named or hasattr(config, "workerinput")):
            # this process made the id up, and its workers have ended: no one else uses it
            session.locks.remove()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "seed" in metafunc.fixturenames:
        seeds = session_seeds(metafunc.config)
        metafunc.parametrize("seed", seeds, ids=[f"seed{s}" for s in seeds])


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Any:
    """A study module whose CONTROL names no variant it collected fails to collect, naming the
    variants it has (ablab.controls); its tests do not run."""
    report = yield
    if isinstance(collector, pytest.Module) and report.passed:
        items = [item for item in report.result if isinstance(item, pytest.Item)]
        error = control_error(collector.obj, items)
        if error is not None:
            report.outcome, report.longrepr, report.result = "failed", error, []
    return report


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not hasattr(config, "workerinput"):
        # Every module that registers factories is imported now. (An xdist worker cannot refuse
        # the run here, pytest-xdist takes it for a crash: its cells fail in one line each.)
        try:
            check_registered(config.stash[SESSION_KEY].overrides)
        except OverrideError as error:
            raise pytest.UsageError(str(error)) from None
    if STATE_INPUT in getattr(config, "workerinput", {}):
        # A worker under variant scheduling: claims last, so xdist hands them out after every
        # cell (ablab.scale.variants); each worker collects the same order.
        items[:] = sorted(items, key=is_claim)  # stable: the cells keep their order
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "run" in names:
            item.add_marker(pytest.mark.ablation)
        if CLAIM_FIXTURES & set(names):  # `-m claim` selects claims and findings alike
            item.add_marker(pytest.mark.claim)
        if item.get_closest_marker("gpu") and not torch.cuda.is_available():
            item.add_marker(pytest.mark.skip(reason="needs a CUDA device; none on this machine"))
