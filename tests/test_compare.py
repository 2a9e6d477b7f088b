"""The regression gate end to end: real digits cells in a temporary SQLite session, exported as
a baseline, then compared with `python -m ablab compare` (in-process)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import torch

from ablab.cli.main import main
from ablab.gate.export import read_table
from ablab.session import CellInfo, Session
from ablab.spec import Experiment
from ablab.store import open_store

STUDY = "gate"
SEEDS = (0, 1)
VARIANTS = {"narrow": (32,), "wide": (64,)}


def cells() -> dict[str, Experiment]:
    base = Experiment(dataset="digits", model="mlp", epochs=3, batch_size=64,
                      target_accuracy=0.8, device="cpu")
    return {name: dataclasses.replace(base, model_kwargs={"hidden": hidden})
            for name, hidden in VARIANTS.items()}


def run_session(url: str, session_id: str) -> None:
    """Train every variant and seed on the CPU into `url` under `session_id`."""
    store = open_store(url)
    session = Session(store=store, device=torch.device("cpu"), session_id=session_id)
    try:
        for variant, exp in cells().items():
            for seed in SEEDS:
                session.run(dataclasses.replace(exp, seed=seed),
                            CellInfo(study=STUDY, variant=variant))
    finally:
        store.close()


@dataclasses.dataclass(frozen=True)
class Recorded:
    url: str
    baseline: Path  # the first session, exported


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """These tiny MLPs train fastest on one thread, and on a machine shared with other jobs
    several OpenMP threads spin for a long time (27 s instead of 0.8 s per cell, measured)."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


@pytest.fixture(scope="module")
def recorded(one_thread: None, tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    folder = tmp_path_factory.mktemp("gate")
    url = f"sqlite:///{folder / 'runs.db'}"
    run_session(url, "first")
    baseline = folder / "baseline.csv"
    assert main(["export", "--db", url, "--session", "first", "--out", str(baseline)]) == 0
    return Recorded(url, baseline)


def compare(*args: str) -> int:
    return main(["compare", *args])


def test_export_has_one_column_per_field(recorded: Recorded) -> None:
    frame = pd.read_csv(recorded.baseline)
    assert len(frame) == len(VARIANTS) * len(SEEDS)
    for column in ("study", "variant", "seed", "key", "cell_key", "status", "accuracy",
                   "f1_macro", "roc_auc", "loss", "samples_per_second", "train_seconds",
                   "epochs_to_target", "seconds_to_target", "amp", "tf32", "channels_last"):
        assert column in frame.columns, column
    assert frame["accuracy"].between(0.5, 1).all()
    # seeds of one variant share a cell_key but not a key
    assert frame.groupby("variant")["cell_key"].nunique().eq(1).all()
    assert frame["key"].nunique() == len(frame)


def test_parquet_export_matches_csv(recorded: Recorded, tmp_path: Path) -> None:
    out = tmp_path / "baseline.parquet"
    assert main(["export", "--db", recorded.url, "--session", "first", "--out", str(out)]) == 0
    parquet, csv = pd.read_parquet(out), pd.read_csv(recorded.baseline)
    assert list(parquet.columns) == list(csv.columns)
    assert parquet["accuracy"].tolist() == csv["accuracy"].tolist()


def test_same_session_passes(recorded: Recorded, capsys: pytest.CaptureFixture[str]) -> None:
    code = compare("--baseline", str(recorded.baseline), "--db", recorded.url,
                   "--session", "first")
    out = capsys.readouterr().out
    assert code == 0, out
    assert "**PASS**: 2 cells compared, 0 regressed" in out
    assert "REGRESSED" not in out


def test_raised_baseline_fails_and_names_the_cell(
    recorded: Recorded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pd.read_csv(recorded.baseline)
    wide = frame["variant"] == "wide"
    # Beyond the floor and 3 standard errors of the difference: with the same seeds on both
    # sides that is 3 x sd (SE sd / sqrt(2) per side, sqrt(2) x that for the difference).
    frame.loc[wide, "accuracy"] += max(0.05, 4 * frame.loc[wide, "accuracy"].std())
    raised = tmp_path / "raised.csv"
    frame.to_csv(raised, index=False)
    code = compare("--baseline", str(raised), "--db", recorded.url, "--session", "first")
    out = capsys.readouterr().out
    assert code == 1, out
    assert "1 regressed (gate/wide)" in out
    failing = [line for line in out.splitlines() if "REGRESSED" in line]
    assert len(failing) == 1
    assert "| wide " in failing[0]
    assert "accuracy" in failing[0]


def test_rerun_with_same_seeds_is_identical_and_passes(
    recorded: Recorded, capsys: pytest.CaptureFixture[str]
) -> None:
    """Noise alone never fires the gate: on the CPU the same seeds give the same accuracies."""
    run_session(recorded.url, "again")
    store = open_store(recorded.url)
    first = {(r.variant, r.seed): r.metrics["accuracy"] for r in store.rows(session="first")}
    again = {(r.variant, r.seed): r.metrics["accuracy"] for r in store.rows(session="again")}
    store.close()
    assert first == again
    code = compare("--baseline", str(recorded.baseline), "--db", recorded.url)  # newest session
    out = capsys.readouterr().out
    assert code == 0, out
    assert "session again" in out


def test_numeric_looking_names_stay_text(recorded: Recorded, tmp_path: Path) -> None:
    frame = pd.read_csv(recorded.baseline).assign(variant="1e-3", cell_key="0" * 20)
    frame.to_csv(tmp_path / "b.csv", index=False)
    (cell,) = {tuple(r) for r in read_table(tmp_path / "b.csv")[["variant", "cell_key"]].values}
    assert cell == ("1e-3", "0" * 20)


def test_missing_new_and_changed_cells_are_listed(
    recorded: Recorded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pd.read_csv(recorded.baseline)
    ghost = frame[frame["variant"] == "wide"].assign(variant="ghost", cell_key="0" * 20)
    edited = frame[frame["variant"] == "narrow"].assign(cell_key="f" * 20)
    baseline = tmp_path / "edited.csv"
    pd.concat([ghost, edited]).to_csv(baseline, index=False)
    args = ("--baseline", str(baseline), "--db", recorded.url, "--session", "first")
    assert compare(*args) == 2  # no cell in common: nothing judged, so the gate cannot pass
    out, err = capsys.readouterr()
    assert err.startswith("ablab compare: error: nothing compared: none of the ")
    assert "## Missing from this run (in the baseline)\n\n- gate/ghost" in out
    assert "- gate/narrow: cell_key ffffffffffffffffffff ->" in out
    assert "## New in this run (not in the baseline)\n\n- gate/wide" in out
    assert compare(*args, "--fail-missing") == 2


def test_missing_cells_are_listed_not_failed_by_default(
    recorded: Recorded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pd.read_csv(recorded.baseline)
    ghost = frame[frame["variant"] == "wide"].assign(variant="ghost", cell_key="0" * 20)
    baseline = tmp_path / "more.csv"
    pd.concat([frame, ghost]).to_csv(baseline, index=False)
    args = ("--baseline", str(baseline), "--db", recorded.url, "--session", "first")
    assert compare(*args) == 0
    assert "## Missing from this run (in the baseline)\n\n- gate/ghost" in capsys.readouterr().out
    assert compare(*args, "--fail-missing") == 1


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "no such file"),
        ("columns", "lacks column(s) cell_key"),
        ("empty", "has no rows; run the ablations first"),
        ("session", "session 'nope' has no ablation rows"),
        ("format", "unknown format '.txt'"),
        ("metric", "--metric nope: no such column"),
        ("url", "database URL 'nosuchdb://x' is not usable"),
        ("unreachable", "cannot reach database postgresql://postgres@127.0.0.1:1/x: "),
    ],
)
def test_bad_input_exits_2_with_one_line(
    recorded: Recorded, tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: str,
    message: str,
) -> None:
    baseline, db, extra = str(recorded.baseline), recorded.url, ["--session", "first"]
    if setup == "missing":
        baseline = str(tmp_path / "absent.csv")
    elif setup == "columns":
        pd.read_csv(recorded.baseline).drop(columns="cell_key").to_csv(tmp_path / "b.csv")
        baseline = str(tmp_path / "b.csv")
    elif setup == "empty":
        db, extra = f"sqlite:///{tmp_path / 'empty.db'}", []
    elif setup == "session":
        extra = ["--session", "nope"]
    elif setup == "format":
        baseline = str(tmp_path / "baseline.txt")
    elif setup == "url":
        db = "nosuchdb://x"
    elif setup == "unreachable":
        db = "postgresql://postgres@127.0.0.1:1/x"
    else:
        extra += ["--metric", "nope"]
    assert compare("--baseline", baseline, "--db", db, *extra) == 2
    err = capsys.readouterr().err
    assert err.startswith("ablab compare: error: "), err
    assert message in err, err
    assert err.count("\n") == 1
    if setup == "empty":
        assert not (tmp_path / "empty.db").exists()  # reading never creates a database


def test_export_of_empty_database_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.csv"
    assert main(["export", "--db", f"sqlite:///{tmp_path / 'none.db'}", "--out", str(out)]) == 2
    assert "has no rows; run the ablations first" in capsys.readouterr().err
    assert not out.exists()


def test_out_writes_the_same_markdown(
    recorded: Recorded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "gate" / "gate.md"
    assert compare("--baseline", str(recorded.baseline), "--current", str(recorded.baseline),
                   "--out", str(report)) == 0
    assert report.read_text() == capsys.readouterr().out
