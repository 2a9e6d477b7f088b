"""The fixtures a study uses: `run(experiment)`, `profile` and `ablab_session`; the claim
fixtures (`claim`, `finding`, `claim_trend`) are in ablab.claim_fixtures."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from typing import Protocol

import pytest

from ablab.batching import cell_seconds
from ablab.cells import study_name
from ablab.controls import control_of
from ablab.data.sources import CorruptData, DataUnavailable
from ablab.ensemble import run_ensemble
from ablab.overrides import OverrideError
from ablab.progress import LiveLine
from ablab.scale.cell_lock import LockTimeout
from ablab.seedplan import later_seeds
from ablab.session import CellInfo, Session
from ablab.spec import Experiment, RunResult
from ablab.stash import CELL_PROPERTY, RECORDS_KEY, SESSION_KEY, as_property
from ablab.variant import SEED, variant_name


class RunFixture(Protocol):
    """`run(experiment, artifacts=()) -> RunResult` (artifacts: see ablab.train.artifacts)."""

    def __call__(self, exp: Experiment, *, artifacts: Collection[str] = ()) -> RunResult: ...


class EnsembleFixture(Protocol):
    """`ensemble(variant, members) -> RunResult` (see the `ensemble` fixture)."""

    def __call__(self, variant: str, members: Mapping[str, Experiment]) -> RunResult: ...


@pytest.fixture(scope="session")
def ablab_session(pytestconfig: pytest.Config) -> Session:
    """The session's settings and store."""
    return pytestconfig.stash[SESSION_KEY]


@pytest.fixture(scope="session")
def profile(ablab_session: Session) -> str:
    """`smoke` or `full`: which base experiments a study module uses."""
    return ablab_session.profile


def _cell(request: pytest.FixtureRequest) -> CellInfo:
    callspec = getattr(request.node, "callspec", None)
    params = dict(callspec.params) if callspec else {}
    params.pop(SEED, None)
    stored = {k: repr(v) if not isinstance(v, str | int | float | bool) else v
              for k, v in params.items()}
    variant = variant_name(request.node)
    # The row keeps its resolved control: the report cannot import the module.
    control = control_of(getattr(request.module, "CONTROL", None), variant)
    return CellInfo(study=study_name(request.module), variant=variant,
                    node_id=request.node.nodeid, params=stored, control=control)


@pytest.fixture
def run(request: pytest.FixtureRequest, ablab_session: Session) -> RunFixture:
    """`run(experiment) -> RunResult`: trains the cell (seed from the `seed` axis, device and
    profile from the session), records its row and returns the result for sanity checks."""
    cell = _cell(request)
    callspec = getattr(request.node, "callspec", None)
    seed = callspec.params.get("seed") if callspec else None

    def run_cell(exp: Experiment, *, artifacts: Collection[str] = ()) -> RunResult:
        if isinstance(seed, int):
            exp = dataclasses.replace(exp, seed=seed)
        live = LiveLine(request.config, f"{cell.study} {cell.variant} seed{exp.seed}", exp.epochs)
        try:
            # The live line watches epochs only on a terminal: a callback per epoch makes the
            # session train the seeds one by one, so it is not passed when nothing is drawn.
            on_epoch = live.update if live.enabled else None
            return recorded(request, cell, lambda: ablab_session.run(
                exp, cell, artifacts=artifacts, on_epoch=on_epoch,
                seeds=later_seeds(request.node)))
        finally:
            live.close()

    return run_cell


@pytest.fixture
def ensemble(request: pytest.FixtureRequest, ablab_session: Session) -> EnsembleFixture:
    """`ensemble(variant, {member variant: Experiment}) -> RunResult`: the soft vote of the
    members on the seed axis's seed, recorded as `variant`'s row (ablab.ensemble). Members
    that `-k`/`-m` deselected are left out (the vote is over the cells this session runs);
    with fewer than two left, or a member's data unavailable, the test skips."""
    base = _cell(request)
    callspec = getattr(request.node, "callspec", None)
    seed = callspec.params.get("seed") if callspec else None
    deselected = request.config.stash[RECORDS_KEY].collected.deselected

    def vote(variant: str, members: Mapping[str, Experiment]) -> RunResult:
        if isinstance(seed, int):
            members = {n: dataclasses.replace(e, seed=seed) for n, e in members.items()}
        kept = {n: e for n, e in members.items()
                if (base.study, n, e.seed) not in deselected}
        if len(kept) < 2:
            pytest.skip(f"{variant}: a soft vote needs >= 2 member cells in this session; "
                        f"selected: {', '.join(kept) or 'none'} of {', '.join(members)}")
        cell = dataclasses.replace(base, variant=variant)
        return recorded(request, cell, lambda: run_ensemble(ablab_session, kept, cell))

    return vote


def recorded(request: pytest.FixtureRequest, cell: CellInfo,
             train: Callable[[], RunResult]) -> RunResult:
    """`train()`'s result, shown in the terminal summary; missing data skips the test (e.g.
    the full profile without ABLAB_DATA), broken data or an override the cell cannot take
    fails it in one line. The one way the `run` and `ensemble` fixtures and seeds until
    decisive (ablab.extra_seeds) train a cell."""
    failure = ""
    try:
        result = train()
    except DataUnavailable as error:
        pytest.skip(f"data unavailable: {error}")
    except CorruptData as error:  # the file is there but broken: one line, not a traceback
        failure = f"corrupt data: {error}"
    except OverrideError as error:  # an --ablab-set value this cell cannot take (ablab.overrides)
        failure = str(error)
    except LockTimeout as error:  # another worker holds the cell too long: one line
        failure = str(error)
    if failure:  # failed outside the except block: pytest-xdist would add the chained error
        pytest.fail(failure, pytrace=False)
    request.node.user_properties.append((CELL_PROPERTY, as_property(cell_record(cell, result))))
    return result


def cell_record(cell: CellInfo, result: RunResult) -> dict[str, object]:
    """What the terminal summary shows of one cell (carried as a user property, so it
    crosses pytest-xdist)."""
    return {
        "study": cell.study, "variant": cell.variant, "seed": result.experiment.seed,
        "status": result.status, "reused": result.reused,
        "training": result.metrics.get("training", {}).get("mode"),
        "accuracy": result.metrics.get("accuracy"), "f1_macro": result.metrics.get("f1_macro"),
        "at_chance": result.metrics.get("at_chance"),
        "train_seconds": cell_seconds(result.timings),  # a shared row: its cell's seconds
        "loss": result.metrics.get("loss"), "overfit_gap": overfit_gap(result),
    }


def overfit_gap(result: RunResult) -> float | None:
    """Last epoch's validation loss minus training loss (claims on regularisation read it)."""
    if not result.history:
        return None
    last = result.history[-1]
    return last.val_loss - last.train_loss
