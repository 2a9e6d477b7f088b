"""Per-cell artifacts on disk: their names, where they live, writing and reading (no torch).

They are small arrays the report's figures need and a row does not hold.

A cell asks for them with `run(exp, artifacts=("predictions", ...))`. They are captured from the
trained model (and, for "embeddings", also after the first epoch), written as one compressed
`.npz` per row under `<artifacts root>/<session>/<row key>.npz` (atomically), and the row's
`metrics["artifacts"]` records `{"path": ..., "names": [...]}`.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.engine import make_url

from ablab.atomic import atomic_path

ARTIFACTS = ("predictions", "embeddings", "samples", "filters", "reconstructions")
ARTIFACTS_ENV = "ABLAB_ARTIFACTS"


def check_artifacts(names: Collection[str]) -> tuple[str, ...]:
    """The requested names, validated; a bare string is a mistake (it would iterate chars)."""
    if isinstance(names, str):
        raise ValueError(f"artifacts={names!r} must be a collection of names, e.g. ({names!r},); "
                         f"allowed: {', '.join(ARTIFACTS)}")
    unknown = sorted(set(names) - set(ARTIFACTS))
    if unknown:
        raise ValueError(f"unknown artifact {', '.join(map(repr, unknown))}; "
                         f"allowed: {', '.join(ARTIFACTS)}")
    return tuple(name for name in ARTIFACTS if name in names)


def artifacts_root(db_url: str) -> Path:
    """`ABLAB_ARTIFACTS`, else `artifacts/` beside a SQLite file, else `results/artifacts`."""
    explicit = os.environ.get(ARTIFACTS_ENV)
    if explicit:
        return Path(explicit)
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database)).parent / "artifacts"
    return Path("results/artifacts")


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Compressed `.npz` under a temporary name, then renamed: never half-written."""
    with atomic_path(path) as partial, partial.open("wb") as handle:
        np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]


def load_artifacts(record: dict[str, Any] | None, root: Path | None = None) -> dict[str, Any]:
    """The arrays a row's `metrics["artifacts"]` points to ({} when none or missing). If the
    recorded path moved, look for the same file name under `root/<session folder>`."""
    if not record:
        return {}
    path = Path(record["path"])
    if not path.exists() and root is not None:
        path = root / path.parent.name / path.name
    if not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as loaded:
        return {name: loaded[name] for name in loaded.files}
