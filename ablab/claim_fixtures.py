"""The claim fixtures: `claim(a, b)` (asserted: the test asserts on it), `finding(a, b)`
(reported: recorded, never asserted), and for ordered variants `claim_trend([...])` and
`finding_trend([...])`.

Each reads the per-seed values from the store (ablab.stats.cell_values), so a claim sees the
cells of every worker and process of the session, and under `--lf` or `-m claim` the latest
stored cells of the same identity. Each evaluation is written once to the `claims` table,
when the test's report is made, with the test's outcome for an asserted claim.

Under `--ablab-seeds MIN..MAX` each of them trains further seeds of its variants while its
repeated CI is not decisive (ablab.stats.sequential, ablab.extra_seeds), and records the seeds
it used and why it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from ablab.cells import study_name
from ablab.extra_seeds import train_round
from ablab.scale.waiting import settle
from ablab.stash import RECORDS_KEY, SESSION_KEY
from ablab.stats.cell_values import Picked, pick_cells
from ablab.stats.claims import ALPHA, Comparison, Trend, paired_comparison, trend_test
from ablab.stats.sequential import SeedCount, critical_value, stop_reason
from ablab.store import ClaimRow
from ablab.store.claim_rows import claim_values

ClaimFixture = Callable[..., Comparison]
TrendFixture = Callable[..., Trend]
Found = TypeVar("Found", Comparison, Trend)


@dataclass(frozen=True)
class Evaluated:
    found: dict[str, Any]  # Comparison.as_dict() or Trend.as_dict()
    asserted: bool
    picked: Picked
    seeds: list[int]
    stopped: str  # why no more seeds: "fixed seeds", "decided at 5 seeds", ...


EVALUATED_KEY = pytest.StashKey[list[Evaluated]]()
CLAIM_FIXTURES = frozenset({"claim", "finding", "claim_trend", "finding_trend"})


def seed_count(config: pytest.Config) -> SeedCount:
    """`--ablab-seeds`: N, or MIN..MAX for seeds until decisive."""
    found = config.getoption("ablab_seeds")
    assert isinstance(found, SeedCount)
    return found


def session_seeds(config: pytest.Config) -> list[int]:
    """The seeds every cell of this session runs (the `seed` axis): N, or MIN of a range."""
    first = int(config.getoption("ablab_first_seed"))
    return list(range(first, first + seed_count(config).low))


def _comparison_fixture(request: pytest.FixtureRequest, asserted: bool) -> ClaimFixture:
    def compare(a: str, b: str, *, metric: str = "accuracy",
                margin: float | None = None) -> Comparison:
        if margin is not None and not 0 <= margin < float("inf"):
            raise ValueError(f"margin={margin!r} is not allowed; give a finite number >= 0")

        def at(values: list[list[float]], critical: float | None) -> Comparison:
            return paired_comparison(values[0], values[1], a_name=a, b_name=b, metric=metric,
                                     critical=critical)

        return _until_decided(request, [a, b], metric, at, margin, asserted)

    return compare


@pytest.fixture
def claim(request: pytest.FixtureRequest) -> ClaimFixture:
    """`claim(a, b, metric="accuracy", margin=None) -> Comparison`, asserted: the test asserts
    on the result (verdict, not_worse, CI). Variant a against b of this module's study, paired
    by seed; a missing cell fails the test, or skips it when `-k`/`-m` deselected the cell.
    Under `--ablab-seeds MIN..MAX` more seeds are trained until the CI excludes 0, or with
    `margin` (non-inferiority) until it lies on one side of the margin (docs/studies.md)."""
    return _comparison_fixture(request, asserted=True)


@pytest.fixture
def finding(request: pytest.FixtureRequest) -> ClaimFixture:
    """`finding(a, b, metric="accuracy", margin=None) -> Comparison`, reported: computed, stored
    and shown in the summary and REPORT.md, but nothing to assert (a study's one-run
    observation checked over seeds, whichever way it comes out)."""
    return _comparison_fixture(request, asserted=False)


def _trend_fixture(request: pytest.FixtureRequest, asserted: bool) -> TrendFixture:
    def trend(variants: Sequence[str], *, metric: str = "accuracy") -> Trend:
        def at(values: list[list[float]], critical: float | None) -> Trend:
            return trend_test(values, names=variants, metric=metric, critical=critical)

        return _until_decided(request, variants, metric, at, None, asserted)

    return trend


@pytest.fixture
def claim_trend(request: pytest.FixtureRequest) -> TrendFixture:
    """`claim_trend([v0, v1, ...], metric="accuracy") -> Trend`, asserted: whether the metric
    rises along the ordered variants of this module's study, over the session's seeds."""
    return _trend_fixture(request, asserted=True)


@pytest.fixture
def finding_trend(request: pytest.FixtureRequest) -> TrendFixture:
    """`finding_trend([v0, v1, ...])`: claim_trend, reported instead of asserted."""
    return _trend_fixture(request, asserted=False)


def _until_decided(
    request: pytest.FixtureRequest, variants: Sequence[str], metric: str,
    at: Callable[[list[list[float]], float | None], Found], margin: float | None,
    asserted: bool,
) -> Found:
    """Evaluate over the session's seeds; with --ablab-seeds MIN..MAX, while the repeated CI
    is not decisive (ablab.stats.sequential) and fewer than MAX seeds were used, train one
    more seed of each variant and look again. Records the evaluation and why it stopped."""
    count = seed_count(request.config)
    seeds: list[int] = session_seeds(request.config)
    if len(seeds) < 2:
        pytest.skip("a claim over seeds needs --ablab-seeds >= 2")
    # Under variant scheduling, wait once for the seed-axis cells other workers train; later
    # seeds are trained here, by this claim (train_round).
    study = study_name(request.module)
    collected = request.config.stash[RECORDS_KEY].collected
    settle(request.config, collected, [(study, v, s) for v in variants for s in seeds])
    while True:
        values, picked = _seed_values(request, variants, metric, seeds)
        critical = critical_value(len(seeds), count, ALPHA) if count.sequential else None
        found = at(values, critical)
        stopped = stop_reason(count, len(seeds), found.decided(margin))
        if stopped is not None:
            _remember(request, Evaluated(found.as_dict(), asserted, picked, seeds, stopped))
            return found
        seeds = [*seeds, seeds[-1] + 1]
        train_round(request, study_name(request.module), variants, seeds[-1])


def _seed_values(
    request: pytest.FixtureRequest, variants: Sequence[str], metric: str, seeds: list[int]
) -> tuple[list[list[float]], Picked]:
    """Per variant, the metric on `seeds`, from the store. Missing cells fail the test when
    they failed in this session or no test produces them, and skip it when deselected or
    skipped (ablab.cells)."""
    session = request.config.stash[SESSION_KEY]
    collected = request.config.stash[RECORDS_KEY].collected
    study = study_name(request.module)
    own = set(session_seeds(request.config))  # further seeds are trained here, by this claim
    picked = pick_cells(session.store.rows(study=study), variants, seeds,
                        session=session.session_id, metric=metric, profile=session.profile,
                        failed_here=collected.failed_cells(study))
    further = [f"{v} seed {s}" for v, s in picked.missing if s not in own]
    if further:  # trained by this claim (train_round), yet without a value
        pytest.fail(f"seeds until decisive: {study} {', '.join(further)} left no {metric}",
                    pytrace=False)
    if picked.missing:
        outcome, reason = collected.why_missing([(study, v, s) for v, s in picked.missing])
        if outcome == "fail":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return [[picked.values[name][s] for s in seeds] for name in variants], picked


def _remember(request: pytest.FixtureRequest, evaluated: Evaluated) -> None:
    stash = request.node.stash
    stash[EVALUATED_KEY] = [*stash.get(EVALUATED_KEY, []), evaluated]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """After the test body: write its claims and findings to the `claims` table, once, with
    the outcome of an asserted claim."""
    report: pytest.TestReport = yield
    if report.when == "call" and EVALUATED_KEY in item.stash:
        session = item.config.stash[SESSION_KEY]
        study = study_name(getattr(item, "module", None))
        for evaluated in item.stash[EVALUATED_KEY]:
            session.store.append_claim(ClaimRow(**claim_values(
                evaluated.found, session_id=session.session_id, study=study,
                node_id=item.nodeid, asserted=evaluated.asserted,
                passed=report.passed if evaluated.asserted else None,
                seeds=evaluated.seeds, source=evaluated.picked.source,
                stop_reason=evaluated.stopped)))
    return report
