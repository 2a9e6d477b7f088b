"""A cell is trained once per session whichever process asks for it first (ablab.scale.cell_lock):
the lock itself, and the session's use of it, in-process with two threads as two workers."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import torch

from ablab.scale import cell_lock
from ablab.scale.cell_lock import CellLocks, LockTimeout, lock_folder
from ablab.session import CellInfo, Session
from ablab.spec import Experiment
from ablab.store import open_store

EXP = Experiment(dataset="digits", model_kwargs={"hidden": [16]}, epochs=1, batch_size=128,
                 device="cpu")
# A process that takes a lock and says so, then sleeps until it is killed; it loads the module
# from its file, so that it starts without importing torch through the ablab package.
HOLDER = '''
import importlib.util, sys, time
spec = importlib.util.spec_from_file_location("cell_lock", sys.argv[1])
module = sys.modules["cell_lock"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
with module.CellLocks(module.Path(sys.argv[2])).hold("a cell", "key", "k"):
    print("held", flush=True)
    time.sleep(60)
'''


def test_a_second_holder_waits_for_the_first(tmp_path: Path) -> None:
    first, second = CellLocks(tmp_path), CellLocks(tmp_path)
    released, acquired = [0.0], [0.0]

    def take() -> None:
        with second.hold("a cell", "key", "k"):
            acquired[0] = time.monotonic()

    with first.hold("a cell", "key", "k"), first.hold("a cell", "key", "k"):  # reentrant
        waiter = threading.Thread(target=take)
        waiter.start()
        time.sleep(0.3)
        assert acquired == [0.0]  # still waiting
        with second.hold("another cell", "key", "other"):  # another cell's lock is free
            pass
        released[0] = time.monotonic()
    waiter.join(timeout=10)
    assert acquired[0] >= released[0] > 0


def test_a_wait_that_runs_out_is_one_line_naming_the_cell(tmp_path: Path) -> None:
    impatient = CellLocks(tmp_path, wait=0.2)
    with CellLocks(tmp_path).hold("tiny a seed 2", "cell", "tiny", "a", 2), pytest.raises(
            LockTimeout) as raised, impatient.hold("tiny a seed 2", "cell", "tiny", "a", 2):
        pass
    assert str(raised.value) == ("waited 0 s for another process of the session training "
                                 "tiny a seed 2; is a worker hanging?")


def test_a_killed_holder_releases_its_lock(tmp_path: Path) -> None:
    with subprocess.Popen([sys.executable, "-c", HOLDER, cell_lock.__file__, str(tmp_path)],
                          stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline() == "held\n"
            with pytest.raises(LockTimeout), CellLocks(tmp_path, wait=0.2).hold("a", "key", "k"):
                pass
            holder.send_signal(signal.SIGKILL)  # no release, no cleanup: the kernel drops it
            holder.wait(timeout=10)
            with CellLocks(tmp_path, wait=5).hold("a", "key", "k"):
                pass
        finally:
            holder.kill()


def test_no_folder_locks_nothing_and_the_folder_is_named_by_the_session(tmp_path: Path) -> None:
    with CellLocks(None).hold("a", "key", "k"), CellLocks(None).hold("a", "key", "k"):
        pass
    assert lock_folder("s-1").name == "ablab-locks-s-1"
    locks = CellLocks(tmp_path / "locks")
    with locks.hold("a", "key", "k"):
        assert len(list((tmp_path / "locks").iterdir())) == 1
    locks.remove()
    assert not (tmp_path / "locks").exists()


@dataclasses.dataclass
class Announcing(CellLocks):
    """CellLocks that says when its process asks for a lock (to time the other thread)."""

    asked: threading.Event = dataclasses.field(default_factory=threading.Event)

    @contextmanager
    def hold(self, what: str, *parts: object) -> Iterator[None]:
        self.asked.set()
        with super().hold(what, *parts):
            yield


def counted(session: Session, trained: list[str], name: str, before: Any = None) -> None:
    """Count `session`'s trainings in `trained`; `before()` runs first, inside the lock."""
    train = session._train

    def counting(*args: Any, **kwargs: Any) -> Any:
        trained.append(name)
        if before is not None:
            before()
        return train(*args, **kwargs)

    session._train = counting  # type: ignore[method-assign]


def test_a_cell_two_workers_ask_for_at_once_is_trained_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    folder = tmp_path / "locks"
    first = Session(store=open_store(url), device=torch.device("cpu"), session_id="s",
                    locks=CellLocks(folder), cache=tmp_path / "cache")
    second = Session(store=open_store(url), device=torch.device("cpu"), session_id="s",
                     locks=Announcing(folder), cache=tmp_path / "cache")
    assert isinstance(second.locks, Announcing)
    asked, trained = second.locks.asked, list[str]()

    def let_the_second_ask() -> None:  # the first trains only once the second is at the lock
        assert asked.wait(timeout=60)
        time.sleep(0.3)

    counted(first, trained, "first", let_the_second_ask)
    counted(second, trained, "second")
    # two studies share the cell (ablab.batching), one on each "worker"
    worker = threading.Thread(target=first.run, args=(EXP, CellInfo(study="one", variant="a")))
    worker.start()
    while not trained:
        time.sleep(0.01)
    shared = second.run(EXP, CellInfo(study="two", variant="a"))
    worker.join(timeout=60)
    rows = first.store.rows()
    assert trained == ["first"]
    assert [(r.study, r.metrics["training"]["mode"]) for r in rows] == [
        ("one", "sequential"), ("two", "shared")]
    assert rows[1].metrics["training"]["row"] == rows[0].id
    assert shared.accuracy == rows[0].metrics["accuracy"]
    for session in (first, second):
        session.store.close()


def test_a_cell_of_one_study_asked_for_twice_keeps_one_row(tmp_path: Path) -> None:
    """An ensemble trained a member before the member's own test asked for it (or the other
    way round): the session has one row of the study's cell, and another study shares it."""
    store = open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    session = Session(store=store, device=torch.device("cpu"), cache=tmp_path / "cache")
    trained: list[str] = []
    counted(session, trained, "once")
    first = session.run(EXP, CellInfo(study="one", variant="a"))
    again = session.run(EXP, CellInfo(study="one", variant="a", node_id="member's own test"))
    session.run(dataclasses.replace(EXP), CellInfo(study="two", variant="a"))
    assert trained == ["once"]
    assert again.metrics["training"]["mode"] == "shared"
    assert again.accuracy == first.accuracy
    assert [(r.study, r.variant, r.seed) for r in store.rows()] == [("one", "a", 0),
                                                                     ("two", "a", 0)]
    store.close()


def test_search_trials_of_the_same_cell_keep_a_row_each(tmp_path: Path) -> None:
    """Optuna trials that sample (or are enqueued with) the same parameters are trials of
    their own: one row per trial number, the later ones shared, none trained twice."""
    store = open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    session = Session(store=store, device=torch.device("cpu"), cache=tmp_path / "cache")
    trained: list[str] = []
    counted(session, trained, "once")
    for number in range(3):
        session.run(EXP, CellInfo(study="search", variant="lr=0.01", trial=number))
    assert trained == ["once"]
    assert [r.trial for r in store.rows()] == [0, 1, 2]
    store.close()
