"""Can ablab write there? Asked where an output path enters (an option, an environment
variable), before anything trains or is drawn: a path that cannot be written is one line naming
it and what to give instead, not a traceback once the work is done.

`os.access` cannot answer it: the tests and many containers run as root, for whom it says yes to
/proc and to read-only mounts alike. So the folder is made as the first write would make it
(with any missing parents) and a file is created in it, then both are removed: nothing stays.
Pure: no torch, no pytest.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

PROBE_PREFIX = ".ablab-write-check-"


class NotWritable(ValueError):
    """An output path ablab cannot write; the message names it and what to give instead."""


def check_folder(folder: Path, head: str) -> None:
    """Raise NotWritable unless files can be created in `folder` (made if missing). `head`
    starts the message: where the path came from and what the user wrote (`--out x`,
    `ABLAB_CACHE=/proc/x`, a database URL)."""
    blocker = _file_in_the_way(folder)
    if blocker == folder:
        raise NotWritable(f"{head}: {folder} is a file, not a folder; give a folder path")
    if blocker is not None:
        raise NotWritable(f"{head}: cannot create folder {folder}: {blocker} is a file, not a "
                          "folder; give a writable path")
    made: list[Path] = []
    try:
        for step in reversed([folder, *folder.parents]):
            if not step.is_dir():
                with contextlib.suppress(FileExistsError):  # made meanwhile by another process
                    step.mkdir()
                    made.append(step)
        handle, probe = tempfile.mkstemp(dir=folder, prefix=PROBE_PREFIX)
        os.close(handle)
        Path(probe).unlink()
    except OSError as error:
        raise NotWritable(f"{head}: cannot create folder {folder} or a file in it "
                          f"({error.strerror or error}); give a writable path") from None
    finally:
        for step in reversed(made):
            with contextlib.suppress(OSError):  # another process put a file there meanwhile
                step.rmdir()


def check_file(path: Path, head: str, example: str = "") -> None:
    """Raise NotWritable unless `path` can be written as a file: not an existing folder, and
    its folder writable. Files are written beside the target and renamed onto it
    (ablab.atomic), so an existing file is replaced whatever its own permissions."""
    if path.is_dir():
        instead = f", e.g. {path / example}" if example else ""
        raise NotWritable(f"{head}: {path} is a folder; give a file path{instead}")
    blocker = _file_in_the_way(path.parent)
    if blocker is not None:
        raise NotWritable(f"{head}: {blocker} is a file, not a folder, so {path} cannot be "
                          "made; give another path")
    check_folder(path.parent, head)


def _file_in_the_way(folder: Path) -> Path | None:
    """The first of `folder` and its parents that exists and is not a folder."""
    for step in [folder, *folder.parents]:
        if step.exists() or step.is_symlink():
            return None if step.is_dir() else step
    return None
