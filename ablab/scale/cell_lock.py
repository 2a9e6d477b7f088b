"""One cell trained once per session, whichever process asks for it first: a lock per cell
around "look in the store for its row, else train it and store the row".

Two pytest-xdist workers can ask for the same cell at the same moment: two claims sharing a
variant train its next seed (ablab.extra_seeds), an ensemble trains a member while the
member's own test trains it elsewhere (ablab.ensemble), two studies share a cell
(ablab.batching). Each checked the store, found nothing and trained, so the session got two
rows of one (study, variant, seed). With the lock, the second asker waits for the first,
then finds its row and uses it: no second training, no second row, no second train_seconds.

Why OS file locks (`filelock`, fcntl.flock on Linux) in a folder named after the session id
under the temporary folder, and not a reservation in the database:
- the kernel drops a dead holder's lock (a worker killed by xdist, the OOM killer, SIGKILL),
  where a reservation row would stay behind and need a lease, a heartbeat and its expiry;
- every process of the session finds the folder from the session id alone (xdist workers get
  it from the controller), with no new table and nothing to migrate in a shared PostgreSQL;
- the processes that can race are on one machine: claims, and so extra seeds, run within one
  pytest invocation and its workers (shards leave claims to the gather); shards of one named
  session on one box share the folder too. Shards on separate machines do not, so there a
  cell two studies share can still be trained once per machine (two rows, each its own study's,
  never two rows of one study's cell: a variant's seeds are one unit on one shard).

The lock files stay in place on release (flock needs waiters to share one inode); the process
that made up the session id removes the folder at its end (`CellLocks.remove`), when no
worker of the session is left. A named session's folder stays: another process may use it.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

# A cell being trained by another process ends when its training ends; a wait this long means
# that process hangs. Longer than any cell of the full profile measured on one GPU.
WAIT_SECONDS = 3 * 3600.0
PREFIX = "ablab-locks-"
LOCK_MODE = 0o666  # another user's worker of a shared named session may take the lock too


class LockTimeout(TimeoutError):
    """A cell's lock was held longer than the wait allows."""


def lock_folder(session_id: str) -> Path:
    """The folder every process of the session takes its cells' locks in."""
    return Path(tempfile.gettempdir()) / f"{PREFIX}{session_id}"


@dataclass
class CellLocks:
    """The locks of one session's cells; `folder` None: no other process can share the
    session (a script, a search, pytest without xdist and without --ablab-session), so there
    is nothing to lock against."""

    folder: Path | None = None
    wait: float = WAIT_SECONDS
    _held: dict[str, FileLock] = field(default_factory=dict, repr=False)

    @contextmanager
    def hold(self, what: str, *parts: object) -> Iterator[None]:
        """Hold the lock named by `parts` (a cell's key, or its study, variant and seed); `what`
        names the cell in the error of a wait that runs out. Reentrant within a process."""
        if self.folder is None:
            yield
            return
        name = hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()[:32]
        if name not in self._held:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._held[name] = FileLock(self.folder / f"{name}.lock", mode=LOCK_MODE)
        lock = self._held[name]
        try:
            lock.acquire(timeout=self.wait)
        except Timeout:
            raise LockTimeout(f"waited {self.wait:.0f} s for another process of the session "
                              f"training {what}; is a worker hanging?") from None
        try:
            yield
        finally:
            lock.release()

    def remove(self) -> None:
        """Remove the folder: only once no process of the session is left to use it."""
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
