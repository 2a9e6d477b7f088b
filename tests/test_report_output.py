"""REPORT.md against a golden file, figures produced and referenced, the command's errors."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
import torch

from ablab.cli.main import main as ablab_main
from ablab.report.markdown import report_markdown
from ablab.report.write import write_report
from ablab.session import CellInfo, Session
from ablab.spec import Experiment
from ablab.store import open_store

DATA = Path(__file__).with_name("data")
FIXTURE = DATA / "report-fixture.db"
GOLDEN = DATA / "report-golden.md"
COMMAND = "python -m ablab report --db sqlite:///tests/data/report-fixture.db"
FIGURE_LINK = re.compile(r"!\[[^\]]*\]\((figures/[^)]+\.png)\)\n\n\*([^*\n]+)\*")


def test_report_markdown_matches_golden() -> None:
    """Set ABLAB_UPDATE_GOLDEN=1 to rewrite the golden file after an intended change."""
    store = open_store(f"sqlite:///{FIXTURE}")
    [session] = store.sessions()
    text = report_markdown(store.rows(session=session), [session], COMMAND)
    store.close()
    if os.environ.get("ABLAB_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def non_blank(path: Path) -> bool:
    pixels = np.asarray(matplotlib.image.imread(path))
    return float(pixels.var()) > 1e-4


def test_every_figure_is_drawn_non_blank_and_referenced(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    session = Session(store=store, device=torch.device("cpu"), cache=tmp_path / "cache")
    cells = {
        "mlp": (Experiment(dataset="digits", epochs=1, model_kwargs={"hidden": (16,)}), ()),
        "cnn": (Experiment(dataset="digits", epochs=1, model="cnn",
                           model_kwargs={"channels": (4,), "linear": (16,)}),
                ("predictions", "embeddings", "samples", "filters")),
    }
    for variant, (exp, artifacts) in cells.items():
        for seed in (0, 1):
            seeded = dataclasses.replace(exp, seed=seed, target_accuracy=0.3)
            session.run(seeded, CellInfo(study="toy", variant=variant,
                                      control="mlp"), artifacts=artifacts)
    report = write_report(store, [session.session_id], tmp_path / "out", "test")
    store.close()
    text = report.read_text(encoding="utf-8")
    linked = dict(FIGURE_LINK.findall(text))
    drawn = {p.relative_to(report.parent).as_posix()
             for p in (report.parent / "figures").glob("*.png")}
    assert set(linked) == drawn  # every figure referenced, every reference drawn
    expected = ["curves-epoch", "curves-samples", "accuracy", "cnn-confusion", "cnn-roc",
                "cnn-tsne", "cnn-samples", "cnn-filters"]
    assert drawn == {f"figures/toy-{name}.png" for name in expected}
    for name in drawn:
        assert non_blank(report.parent / name), name
    assert all(len(caption) > 20 for caption in linked.values())
    assert re.search(r"^\| (\*\*)?mlp(\*\*)?( \(best\))? \(control\)", text, re.MULTILINE)


def test_cli_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "copy.db"
    shutil.copy(FIXTURE, db)
    code = ablab_main(["report", "--db", f"sqlite:///{db}", "--out", str(tmp_path / "out"),
                       "--study", "init"])
    assert code == 0
    assert capsys.readouterr().out.strip() == f"wrote {tmp_path / 'out' / 'REPORT.md'}"
    assert "## init" in (tmp_path / "out" / "REPORT.md").read_text(encoding="utf-8")


URLS = {"unreachable": "postgresql://nobody@127.0.0.1:1/none", "bad-url": "nonsense://x"}


@pytest.mark.parametrize("setup", ["missing", "empty", "unknown-session", "unknown-study",
                                   *URLS])
def test_cli_errors_are_one_line(
    setup: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "runs.db"
    url = URLS.get(setup, f"sqlite:///{db}")
    args = ["report", "--db", url, "--out", str(tmp_path / "out")]
    if setup == "empty":
        store = open_store(f"sqlite:///{db}")
        store._ensure_table()  # the table exists, no rows
        store.close()
    elif setup.startswith("unknown"):
        shutil.copy(FIXTURE, db)
        args += ["--session", "nope"] if setup == "unknown-session" else ["--study", "nope"]
    assert ablab_main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("ablab report: error: ")
    assert err.count("\n") == 1
    assert not (tmp_path / "out" / "REPORT.md").exists()


def test_a_failed_report_leaves_the_previous_one_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ablab.report import figures

    db = tmp_path / "copy.db"
    shutil.copy(FIXTURE, db)
    out = tmp_path / "out"
    args = ["report", "--db", f"sqlite:///{db}", "--out", str(out), "--study", "init"]
    assert ablab_main(args) == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (out / f".report-killed{'.partial'}").mkdir()  # what a SIGKILLed report leaves
    drawn: list[Path] = []
    real_save = figures.save

    def save_then_die(fig: object, path: Path) -> Path:
        if drawn:
            raise KeyboardInterrupt  # killed after its first new figure
        drawn.append(real_save(fig, path))  # type: ignore[arg-type]
        return drawn[-1]

    monkeypatch.setattr(figures, "save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        ablab_main(args)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before  # the old REPORT.md and figures, no new figure, no partial file
    assert sorted(p.name for p in out.iterdir()) == ["REPORT.md", "figures"]
