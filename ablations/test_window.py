"""Study S2 (sequence classification), LSTM input window: the model sees the current step plus
X preceding steps, X in 0..4. On the generated sequences the label depends on the last
TRUE_LAG + 1 steps, so accuracy must rise with X up to TRUE_LAG (a trend over seeds); every
cell reports macro F1 beside accuracy, and a cell that sees the whole dependency must not
collapse onto the majority class (S2's lesson: its models did, unnoticed)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ablab import ClaimFixture, RunFixture, TrendFixture
from ablab.checks import check_finite, check_learned
from ablab.controls import same_group
from ablab.data.embedded import TRUE_LAG
from ablab.data.loading import default_root
from ablab.data.sources import DataUnavailable
from ablab.spec import Experiment
from ablations.setups import names_from_env
from datasets.uea import uea_sets

STUDY = "window"
# Per data set (`sequences`, or each UEA set in the full profile): the window that sees the
# whole dependency of the generated sequences, `<set>-2`.
CONTROL = same_group(str(TRUE_LAG))
WINDOWS = (0, 1, 2, 3, 4)


def full_sets(root: Path | None) -> list[str]:
    """The UEA sets of the full profile: every set under `<root>/timeseries/`, or those named
    in ABLAB_UEA_SETS (comma-separated) to narrow it; DataUnavailable when none is there."""
    found = uea_sets(root)
    return list(names_from_env("ABLAB_UEA_SETS", found, found, f"under {root}/timeseries"))


def base(profile: str, root: Path | None = None) -> dict[str, Experiment]:
    """LSTM (32 hidden units, one layer), Adam 3e-3, batch 64. smoke: the generated sequences
    (4 imbalanced classes, 50/30/12/8 %), 10 epochs. full: every UEA set under the data root
    (`full_sets`; the window is the last X + 1 steps of each left-padded series), 30
    epochs."""
    lstm = Experiment(model="lstm", model_kwargs={"hidden": 32, "layers": 1}, optimizer="adam",
                      lr=3e-3, batch_size=64)
    if profile == "smoke":
        return {"sequences": dataclasses.replace(lstm, dataset="sequences", epochs=10)}
    return {name: dataclasses.replace(lstm, dataset="uea", dataset_kwargs={"name": name},
                                      epochs=30)
            for name in full_sets(root)}


def data_root(config: pytest.Config) -> Path | None:
    option = config.getoption("ablab_data")
    return Path(option) if option else default_root()


LEARN_MARGIN = 0.2  # above the majority-class rate once the window covers the dependency
ARTIFACTS = ("predictions",)  # S2 reports per-class ROC curves and confusion matrices


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The data sources depend on the profile: generated sequences, or the UEA sets found."""
    if "source" in metafunc.fixturenames:
        profile = metafunc.config.getoption("ablab_profile")
        try:
            sources: list[object] = list(base(profile, data_root(metafunc.config)))
        except DataUnavailable as error:  # the cell skips, saying what to put where
            sources = [pytest.param("uea", marks=pytest.mark.skip(reason=str(error)))]
        metafunc.parametrize("source", sources)


@pytest.mark.parametrize("window", WINDOWS)
def test_window(run: RunFixture, profile: str, source: str, window: int, seed: int,
                pytestconfig: pytest.Config) -> None:
    cell = base(profile, data_root(pytestconfig))[source]
    result = run(dataclasses.replace(cell, window=window), artifacts=ARTIFACTS)
    assert {"f1_macro", "per_class", "roc_auc"} <= result.metrics.keys()  # S2 reports these
    if source == "sequences" and window >= TRUE_LAG:
        check_learned(result, LEARN_MARGIN)
    else:
        # A window shorter than the dependency (or a real set's unknown one) may sit near
        # chance; the row's status still flags a collapse for the report.
        check_finite(result)


def smoke_only(profile: str) -> None:
    if profile != "smoke":
        pytest.skip("the generated sequences (and their TRUE_LAG) run in the smoke profile only")


def test_accuracy_rises_up_to_true_lag(claim_trend: TrendFixture, profile: str) -> None:
    smoke_only(profile)
    trend = claim_trend([f"sequences-{w}" for w in WINDOWS if w <= TRUE_LAG])
    assert trend.ci_low > 0, trend.describe()  # the slope's whole CI above zero: rising


def test_longer_windows_plateau(finding: ClaimFixture, profile: str) -> None:
    """Reported: windows past TRUE_LAG against TRUE_LAG (the generator says: no gain)."""
    smoke_only(profile)
    for window in WINDOWS:
        if window > TRUE_LAG:
            finding(f"sequences-{window}", f"sequences-{TRUE_LAG}")


def test_real_sets_window_trend(finding_trend: TrendFixture, profile: str,
                                pytestconfig: pytest.Config) -> None:
    """Reported (full profile): does accuracy rise with the window on each UEA set?"""
    if profile == "smoke":
        pytest.skip("the UEA sets run in the full profile only")
    try:
        sources = base(profile, data_root(pytestconfig))
    except DataUnavailable as error:
        pytest.skip(str(error))
    for source in sources:
        finding_trend([f"{source}-{w}" for w in WINDOWS])
