"""pytest glue: options, the seed axis, the `run` and `claim` fixtures, the summary table."""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest
import torch
from threadpoolctl import threadpool_limits

from ablab.claims import Comparison, Trend, paired_comparison, trend_test
from ablab.data import default_root
from ablab.registry import load_builtins
from ablab.session import CONTROL_PARAM, CellInfo, Session, new_session_id
from ablab.sources import DataUnavailable
from ablab.spec import AMPS, PROFILES, Experiment, RunResult, check_device
from ablab.store import StoreError, open_store
from ablab.summary import study_tables
from ablab.train import resolve_device

CELL_PROPERTY = "ablab_cell"
CLAIM_PROPERTY = "ablab_claim"
SESSION_KEY = pytest.StashKey[Session]()


@dataclass
class Records:
    """Cells this process trained (claims read them) and what reports carried to this process
    (the summary prints them; under pytest-xdist they arrive from the workers)."""

    local: list[dict[str, Any]] = field(default_factory=list)
    cells: list[dict[str, Any]] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)


RECORDS_KEY = pytest.StashKey[Records]()
MODELS_DIR = Path("results/models")

REPORT_DIR = Path("results")


class RunFixture(Protocol):
    """`run(experiment, artifacts=()) -> RunResult` (artifacts: see ablab.artifacts)."""

    def __call__(self, exp: Experiment, *, artifacts: Collection[str] = ()) -> RunResult: ...


ClaimFixture = Callable[..., Comparison]
TrendFixture = Callable[..., Trend]


def _positive_int(text: str) -> int:
    value = int(text) if text.lstrip("-").isdigit() else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed; give an integer >= 1")
    return value


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ablab", "ablab ablations")
    group.addoption("--ablab-profile", choices=PROFILES, default="smoke",
                    help="smoke: embedded data, seconds per cell; full: the studies' real data "
                         "and settings (default smoke)")
    group.addoption("--ablab-seeds", type=_positive_int, default=3, metavar="N",
                    help="train every cell with seeds 0..N-1 (default 3)")
    group.addoption("--ablab-device", default="auto", metavar="DEVICE",
                    help="auto, cpu, cuda or cuda:<i> (default auto: CUDA when present)")
    group.addoption("--ablab-db", default=None, metavar="URL",
                    help="SQLAlchemy URL of the results database (default ABLAB_DB or "
                         "sqlite:///results/ablab.db)")
    group.addoption("--ablab-data", default=None, metavar="PATH",
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
    group.addoption("--ablab-amp", choices=AMPS, default="none",
                    help="mixed precision on CUDA: bf16 autocast (default none)")
    group.addoption("--ablab-tf32", action="store_true",
                    help="TF32 matmuls and convolutions on CUDA (default off: strict FP32)")
    group.addoption("--ablab-channels-last", action="store_true",
                    help="channels-last memory layout for image models on CUDA")


def _cuda_options(config: pytest.Config, device: torch.device) -> dict[str, Any]:
    """The CUDA speed options; a usage error when they are asked for on another device."""
    options = {"amp": config.getoption("ablab_amp"), "tf32": config.getoption("ablab_tf32"),
               "channels_last": config.getoption("ablab_channels_last")}
    asked = [f"--ablab-{name.replace('_', '-')}" + (f" {value}" if name == "amp" else "")
             for name, value in options.items() if value not in ("none", False)]
    if asked and device.type != "cuda":
        raise pytest.UsageError(f"{', '.join(asked)}: needs a CUDA device; this run uses {device}")
    return options


def _device(option: str) -> torch.device:
    try:
        check_device(option)
    except ValueError as error:
        raise pytest.UsageError(f"--ablab-device: {error}") from None
    device = resolve_device(option)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise pytest.UsageError(f"--ablab-device {option}: no CUDA device on this machine")
    return device


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for name in ("ablation", "claim", "search", "gpu", "slow"):
        config.addinivalue_line("markers", f"{name}: see ablab's README")
    if getattr(config.option, "dist", "no") == "load":
        # A study's claims read the cells of their own module: keep each file on one worker.
        config.option.dist = "loadfile"
    store = open_store(config.getoption("ablab_db"))
    try:
        store.check()
    except StoreError as error:
        raise pytest.UsageError(f"--ablab-db: {error}") from None
    data = config.getoption("ablab_data")
    workerinput: dict[str, Any] = getattr(config, "workerinput", {})
    _share_cpu_threads(workerinput)
    config.stash[RECORDS_KEY] = Records()
    config.pluginmanager.register(SummaryReporter(config), "ablab-summary")
    device = _device(config.getoption("ablab_device"))
    config.stash[SESSION_KEY] = Session(
        store=store,
        device=device,
        session_id=workerinput.get("ablab_session") or new_session_id(),
        profile=config.getoption("ablab_profile"),
        data_root=Path(data) if data else default_root(),
        download=config.getoption("ablab_download"),
        reuse=config.getoption("ablab_reuse"),
        save_models=MODELS_DIR if config.getoption("ablab_save_models") else None,
        **_cuda_options(config, device),
    )


def _share_cpu_threads(workerinput: dict[str, Any]) -> None:
    """N pytest-xdist workers each take 1/N of the cores; torch's default (all cores in every
    worker) oversubscribes the CPU and slows every cell down. The same holds for the BLAS
    pools numpy and scikit-learn use (sklearn_mlp cells ran 17x slower under -n 2)."""
    workers = int(workerinput.get("workercount", 1))
    if workers > 1:
        threads = max(1, (os.cpu_count() or 1) // workers)
        torch.set_num_threads(threads)
        threadpool_limits(limits=threads)  # process-wide: kept for the worker's lifetime


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: every worker writes its rows under the controller's session id."""
    node.workerinput["ablab_session"] = node.config.stash[SESSION_KEY].session_id


def pytest_unconfigure(config: pytest.Config) -> None:
    if SESSION_KEY in config.stash:
        config.stash[SESSION_KEY].store.close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "seed" in metafunc.fixturenames:
        seeds = range(metafunc.config.getoption("ablab_seeds"))
        metafunc.parametrize("seed", seeds, ids=[f"seed{s}" for s in seeds])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "run" in names:
            item.add_marker(pytest.mark.ablation)
        if "claim" in names:
            item.add_marker(pytest.mark.claim)
        if item.get_closest_marker("gpu") and not torch.cuda.is_available():
            item.add_marker(pytest.mark.skip(reason="needs a CUDA device; none on this machine"))


@pytest.fixture(scope="session")
def ablab_session(pytestconfig: pytest.Config) -> Session:
    """The session's settings and store."""
    load_builtins()
    return pytestconfig.stash[SESSION_KEY]


@pytest.fixture(scope="session")
def profile(ablab_session: Session) -> str:
    """`smoke` or `full`: which base experiments a study module uses."""
    return ablab_session.profile


def study_name(module: Any) -> str:
    """A module's `STUDY`, else its file name without the `test_` prefix."""
    default = module.__name__.rpartition(".")[2].removeprefix("test_")
    return str(getattr(module, "STUDY", default))


def _cell(request: pytest.FixtureRequest) -> CellInfo:
    callspec = getattr(request.node, "callspec", None)
    params = dict(callspec.params) if callspec else {}
    seed = params.pop("seed", None)
    parts = callspec.id.split("-") if callspec else [request.node.name]
    # A test parametrised by seed alone: its variant is the test name, the same for every seed.
    variant = "-".join(p for p in parts if p != f"seed{seed}") or request.node.originalname
    stored = {k: repr(v) if not isinstance(v, str | int | float | bool) else v
              for k, v in params.items()}
    control = getattr(request.module, "CONTROL", None)
    if control is not None:
        stored[CONTROL_PARAM] = str(control)  # the report cannot import the study module
    return CellInfo(study=study_name(request.module), variant=variant,
                    node_id=request.node.nodeid, params=stored)


@pytest.fixture
def run(request: pytest.FixtureRequest, ablab_session: Session) -> RunFixture:
    """`run(experiment) -> RunResult`: trains the cell (seed from the `seed` axis, device and
    profile from the session), records its row and returns the result for sanity checks."""
    cell = _cell(request)
    callspec = getattr(request.node, "callspec", None)
    seed = callspec.params.get("seed") if callspec else None
    records = request.config.stash[RECORDS_KEY]

    def run_cell(exp: Experiment, *, artifacts: Collection[str] = ()) -> RunResult:
        if isinstance(seed, int):
            exp = dataclasses.replace(exp, seed=seed)
        try:
            result = ablab_session.run(exp, cell, artifacts=artifacts)
        except DataUnavailable as error:  # e.g. the full profile without ABLAB_DATA
            pytest.skip(f"data unavailable: {error}")
        record = {
            "study": cell.study, "variant": cell.variant, "seed": result.experiment.seed,
            "status": result.status, "reused": result.reused,
            "accuracy": result.metrics.get("accuracy"), "f1_macro": result.metrics.get("f1_macro"),
            "train_seconds": result.timings.get("train_seconds", 0.0),
            "loss": result.metrics.get("loss"), "overfit_gap": overfit_gap(result),
        }
        request.node.user_properties.append((CELL_PROPERTY, record))
        records.local.append(record)
        return result

    return run_cell


def overfit_gap(result: RunResult) -> float | None:
    """Last epoch's validation loss minus training loss (claims on regularisation read it)."""
    if not result.history:
        return None
    last = result.history[-1]
    return last.val_loss - last.train_loss


@pytest.fixture
def claim(request: pytest.FixtureRequest) -> ClaimFixture:
    """`claim(a, b, metric="accuracy") -> Comparison`: variant a against b in this module's
    study, paired by seed over all of the session's seeds; skips when cells are missing."""

    def compare(a: str, b: str, *, metric: str = "accuracy") -> Comparison:
        values = _seed_values(request, [a, b], metric)
        comparison = paired_comparison(values[0], values[1], a_name=a, b_name=b, metric=metric)
        _record_claim(request, comparison.as_dict())
        return comparison

    return compare


@pytest.fixture
def claim_trend(request: pytest.FixtureRequest) -> TrendFixture:
    """`claim_trend([v0, v1, ...], metric="accuracy") -> Trend`: whether the metric rises along
    the ordered variants of this module's study, over all seeds; skips when cells are missing."""

    def trend(variants: Sequence[str], *, metric: str = "accuracy") -> Trend:
        values = _seed_values(request, variants, metric)
        found = trend_test(values, names=variants, metric=metric)
        _record_claim(request, found.as_dict())
        return found

    return trend


def _seed_values(
    request: pytest.FixtureRequest, variants: Sequence[str], metric: str
) -> list[list[float]]:
    """Per variant, the metric on seeds 0..N-1 of this module's study; skips the calling test
    when a cell is missing (e.g. `-k` selected a subset) or there is only one seed."""
    study = study_name(request.module)
    seeds = list(range(request.config.getoption("ablab_seeds")))
    cells = request.config.stash[RECORDS_KEY].local
    values = {name: _values(cells, study, name, metric) for name in variants}
    missing = {name: [s for s in seeds if s not in got] for name, got in values.items()}
    missing = {name: gaps for name, gaps in missing.items() if gaps}
    if missing:
        listed = "; ".join(f"{name} seeds {gaps}" for name, gaps in missing.items())
        pytest.skip(f"claim needs cells this session did not run: {study} {listed}")
    if len(seeds) < 2:
        pytest.skip("a claim over seeds needs --ablab-seeds >= 2")
    return [[values[name][s] for s in seeds] for name in variants]


def _record_claim(request: pytest.FixtureRequest, found: dict[str, Any]) -> None:
    request.node.user_properties.append((CLAIM_PROPERTY, {"study": study_name(request.module),
                                                          **found}))


def _values(
    cells: list[dict[str, Any]], study: str, variant: str, metric: str
) -> dict[int, float]:
    return {c["seed"]: float(c[metric]) for c in cells
            if c["study"] == study and c["variant"] == variant and c.get(metric) is not None}


class SummaryReporter:
    """Collects cell and claim records from reports (user_properties cross pytest-xdist) and
    prints the session's tables at the end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.records = config.stash[RECORDS_KEY]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        for name, value in report.user_properties:
            if not isinstance(value, dict):
                continue
            if name == CELL_PROPERTY:
                self.records.cells.append(value)
            elif name == CLAIM_PROPERTY:
                self.records.claims.append(value)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        records = self.records
        if hasattr(self.config, "workerinput") or not (records.cells or records.claims):
            return
        session = self.config.stash[SESSION_KEY]
        write = terminalreporter.write_line
        terminalreporter.write_sep("-", f"ablab session {session.session_id}")
        for study, table in study_tables(records.cells).items():
            write(f"\n### {study}\n")
            write(table)
        if records.claims:
            write("\nClaims:")
            for found in records.claims:
                write(f"- [{found['study']}] {found['text']}")
        write(f"\nrows in {session.store.url} (session {session.session_id})")
        if self.config.getoption("ablab_report"):
            from ablab.report import write_report  # matplotlib only when a report is asked for

            command = " ".join(["pytest", *self.config.invocation_params.args])
            try:
                path = write_report(session.store, [session.session_id], REPORT_DIR, command)
            except ValueError as error:  # e.g. every cell of the session was reused: no rows
                write(f"report: not written: {error}")
            else:
                write(f"report: {path}")
