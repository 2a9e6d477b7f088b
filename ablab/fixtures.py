"""The fixtures a study uses: `run(experiment)`, `claim(a, b)`, `claim_trend([...])`,
`profile` and `ablab_session`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Sequence
from typing import Any, Protocol

import pytest

from ablab.cells import study_name
from ablab.data.sources import CorruptData, DataUnavailable
from ablab.progress import LiveLine
from ablab.seedplan import later_seeds
from ablab.session import CellInfo, Session
from ablab.spec import Experiment, RunResult
from ablab.stash import (
    CELL_PROPERTY,
    CLAIM_PROPERTY,
    RECORDS_KEY,
    SESSION_KEY,
    as_property,
)
from ablab.stats.claims import Comparison, Trend, paired_comparison, trend_test
from ablab.variant import SEED, variant_name


class RunFixture(Protocol):
    """`run(experiment, artifacts=()) -> RunResult` (artifacts: see ablab.train.artifacts)."""

    def __call__(self, exp: Experiment, *, artifacts: Collection[str] = ()) -> RunResult: ...


ClaimFixture = Callable[..., Comparison]
TrendFixture = Callable[..., Trend]


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
    control = getattr(request.module, "CONTROL", None)  # the report cannot import the module
    return CellInfo(study=study_name(request.module), variant=variant_name(request.node),
                    node_id=request.node.nodeid, params=stored,
                    control=None if control is None else str(control))


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
        live = LiveLine(request.config, f"{cell.study} {cell.variant} seed{exp.seed}", exp.epochs)
        try:
            result = ablab_session.run(exp, cell, artifacts=artifacts, on_epoch=live.update,
                                       seeds=later_seeds(request.node))
        except DataUnavailable as error:  # e.g. the full profile without ABLAB_DATA
            pytest.skip(f"data unavailable: {error}")
        except CorruptData as error:  # the file is there but broken: one line, not a traceback
            pytest.fail(f"corrupt data: {error}", pytrace=False)
        finally:
            live.close()
        record = {
            "study": cell.study, "variant": cell.variant, "seed": result.experiment.seed,
            "status": result.status, "reused": result.reused,
            "training": result.metrics.get("training", {}).get("mode"),
            "accuracy": result.metrics.get("accuracy"), "f1_macro": result.metrics.get("f1_macro"),
            "train_seconds": result.timings.get("train_seconds", 0.0),
            "loss": result.metrics.get("loss"), "overfit_gap": overfit_gap(result),
        }
        request.node.user_properties.append((CELL_PROPERTY, as_property(record)))
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
    """Per variant, the metric on seeds 0..N-1 of this module's study. A missing cell fails the
    calling test when it failed or does not exist, and skips it when `-k`/`-m` deselected it
    (ablab.cells); one seed only skips it too."""
    study = study_name(request.module)
    seeds = list(range(request.config.getoption("ablab_seeds")))
    records = request.config.stash[RECORDS_KEY]
    values = {name: _values(records.local, study, name, metric) for name in variants}
    missing = [(study, name, s) for name, got in values.items() for s in seeds if s not in got]
    if missing:
        outcome, reason = records.collected.why_missing(missing)
        if outcome == "fail":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    if len(seeds) < 2:
        pytest.skip("a claim over seeds needs --ablab-seeds >= 2")
    return [[values[name][s] for s in seeds] for name in variants]


def _record_claim(request: pytest.FixtureRequest, found: dict[str, Any]) -> None:
    record = {"study": study_name(request.module), **found}
    request.node.user_properties.append((CLAIM_PROPERTY, as_property(record)))


def _values(
    cells: list[dict[str, Any]], study: str, variant: str, metric: str
) -> dict[int, float]:
    return {c["seed"]: float(c[metric]) for c in cells
            if c["study"] == study and c["variant"] == variant and c.get(metric) is not None}
