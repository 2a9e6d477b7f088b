"""The report's search sections, from a real small study in a temporary SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import optuna
import pytest
import torch
from optuna.trial import TrialState

from ablab.report.search_sections import search_sections
from ablab.search.backend import open_storage
from ablab.search.runner import SearchOptions, run_search
from ablab.search.spec import get_search
from ablab.session import Session
from ablab.store import open_store

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
N_TRIALS = 4


def sections_of(url: str, figures: Path, **options: Any) -> list[str]:
    with open_store(url) as store:
        return search_sections(store, figures, **options)


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, optuna.Study]]:
    """Four short mlp_search trials (no pruning) and a foreign optuna study in one database."""
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'ablab.db'}"
    store = open_store(url)
    storage = open_storage(url)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny trainings: more threads only contend on a shared CPU
    try:
        session = Session(store=store, device=torch.device("cpu"))
        options = SearchOptions(n_trials=N_TRIALS, study_name="report-test", pruner="none",
                                epochs=3, command="pytest tests/test_search_report.py")
        study = run_search(get_search("mlp_search"), session, storage, options)
        optuna.create_study(storage=storage, study_name="not-ablab")  # must be left out
        yield url, study
    finally:
        torch.set_num_threads(threads)
        store.close()
        storage.remove_session()
        storage.engine.dispose()


def test_section_per_search_study(searched: tuple[str, optuna.Study], tmp_path: Path) -> None:
    url, _ = searched
    sections = sections_of(url, tmp_path / "figures")
    assert len(sections) == 1
    section = sections[0]
    assert section.startswith("## Search `mlp_search`: study `report-test`")
    assert f"{N_TRIALS} trials ({N_TRIALS} complete)" in section
    assert "Command: pytest tests/test_search_report.py" in section


def test_best_trials_table_is_sorted_and_joined_to_rows(
    searched: tuple[str, optuna.Study], tmp_path: Path
) -> None:
    url, study = searched
    section = sections_of(url, tmp_path / "figures")[0]
    table = [line.split("|")[1:-1] for line in section.splitlines()
             if line.startswith("| ") and not line.startswith("| rank")]
    assert [int(cells[1]) for cells in table] == sorted(
        (t.number for t in study.trials), key=lambda n: -(study.trials[n].value or 0.0))
    with open_store(url) as store:
        rows = {r.trial: r for r in store.rows(study="report-test")}
    for cells in table:
        trial = study.trials[int(cells[1])]
        assert trial.state == TrialState.COMPLETE
        assert float(cells[2]) == pytest.approx(trial.value, abs=5e-5)
        assert float(cells[3]) == pytest.approx(rows[trial.number].metrics["accuracy"], abs=5e-5)


def test_figures_are_written_and_linked(
    searched: tuple[str, optuna.Study], tmp_path: Path
) -> None:
    url, _ = searched
    section = sections_of(url, tmp_path / "figures")[0]
    for kind in ("history", "importance"):
        path = tmp_path / "figures" / f"search-report-test-{kind}.png"
        assert path.read_bytes().startswith(PNG_MAGIC)
        assert f"(figures/{path.name})" in section
    assert not list((tmp_path / "figures").glob("*.partial"))


def test_database_without_studies_gives_no_section(tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    assert sections_of(f"sqlite:///{db}", tmp_path / "figures") == []
    assert not db.exists()


def test_sections_can_be_limited_to_sessions(
    searched: tuple[str, optuna.Study], tmp_path: Path
) -> None:
    url, _ = searched
    with open_store(url) as store:
        sessions = store.sessions()
    assert len(sections_of(url, tmp_path / "figures", sessions=sessions)) == 1
    assert sections_of(url, tmp_path / "figures", sessions=["another-session"]) == []
