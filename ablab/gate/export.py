"""`python -m ablab export`: one session's rows as a flat table (CSV or Parquet), the format
baselines are kept in (results/baselines/)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from ablab.atomic import atomic_path
from ablab.extras import missing_extra
from ablab.store import RunStore, open_store
from ablab.store.base import RunRow

ENVIRONMENT_COLUMNS = ["torch", "git_sha", "git_dirty"]
FORMATS = (".csv", ".parquet")
TEXT_COLUMNS = ("session_id", "study", "variant", "key", "cell_key", "status")


class ExportError(ValueError):
    """Bad input to export or compare: one line naming what was wrong."""


def _scalars(values: dict[str, Any]) -> dict[str, float]:
    """The numeric entries of a metrics or timings dict (flags and nested tables left out)."""
    found: dict[str, float] = {}
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float | None):
            continue
        found[name] = math.nan if value is None else float(value)
    return found


def flatten(row: RunRow) -> dict[str, Any]:
    """One stored row as flat columns: identity, the GPU options, environment, scalar metrics
    and timings (stored nulls, e.g. a target never reached, become NaN)."""
    experiment, environment = row.experiment, row.environment or {}
    flat: dict[str, Any] = {name: getattr(row, name) for name in
                            ("session_id", "study", "variant", "seed", "key", "cell_key",
                             "status")}
    flat["profile"] = experiment.get("profile")
    flat["device"] = str(experiment.get("device", "")).partition(":")[0]
    flat["amp"] = experiment.get("amp", "none")
    flat["tf32"] = bool(experiment.get("tf32", False))
    flat["channels_last"] = bool(experiment.get("channels_last", False))
    flat.update({name: environment.get(name) for name in ENVIRONMENT_COLUMNS})
    flat.update(_scalars(row.metrics or {}))
    flat.update(_scalars(row.timings or {}))
    return flat


def session_rows(store: RunStore, session: str | None) -> tuple[str, list[RunRow]]:
    """(session id, its ablation rows): the named session, else the newest one that has
    ablation rows. Optuna trial rows are left out: a search draws other trials on every run,
    so they have no baseline (and a search run after the suite must not hide the suite).
    ExportError when the database has no such rows or the named session has none."""
    sessions = store.sessions()
    if session is not None:
        rows = _ablation_rows(store, session)
        if not rows:
            known = ", ".join(sessions[-3:]) or "none"
            raise ExportError(f"session {session!r} has no ablation rows in {store.url} "
                              f"(newest sessions: {known})")
        return session, rows
    for newest in reversed(sessions):
        rows = _ablation_rows(store, newest)
        if rows:
            return newest, rows
    what = "only search trial rows" if sessions else "no rows"
    raise ExportError(f"database {store.url} has {what}; run the ablations first "
                      "(pytest ablations --ablab-db ...)")


def _ablation_rows(store: RunStore, session: str) -> list[RunRow]:
    return [row for row in store.rows(session=session) if row.trial is None]


def session_frame(url: str | None, session: str | None) -> tuple[str, pd.DataFrame]:
    """(session id, one flat row per cell and seed) from the database at `url`."""
    store = open_store(url)
    try:
        store.check(write=False)  # a foreign or damaged database is one line, and stays as is
        session, rows = session_rows(store, session)
    finally:
        store.close()
    return session, pd.DataFrame([flatten(row) for row in rows])


def check_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ExportError(f"{path}: unknown format {suffix or '(none)'!r}; use .csv or .parquet")
    return suffix


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """CSV or Parquet by the extension, written to a temporary name and then renamed."""
    suffix = check_format(path)
    try:
        with atomic_path(path) as partial:
            if suffix == ".csv":
                frame.to_csv(partial, index=False)
            else:
                frame.to_parquet(partial, index=False)
    except ImportError as error:  # pyarrow is the `parquet` extra
        raise ExportError(f"{path}: {missing_extra(error) or error}") from None


def read_table(path: Path) -> pd.DataFrame:
    """An exported table; ExportError when it is missing, unreadable or of unknown format."""
    suffix = check_format(path)
    if path.is_dir():
        raise ExportError(f"{path}: is a folder; give the table `ablab export` wrote")
    if not path.is_file():
        raise ExportError(f"{path}: no such file")
    try:
        if suffix == ".csv":
            # Names and hashes stay text: a variant "1e-3" or an all-digit key must not
            # become a number.
            return pd.read_csv(path, dtype=dict.fromkeys(TEXT_COLUMNS, str))
        return pd.read_parquet(path)
    except ImportError as error:  # pyarrow is the `parquet` extra
        raise ExportError(f"{path}: {missing_extra(error) or error}") from None
    except (ValueError, OSError) as error:  # pandas' parser errors are ValueErrors
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ExportError(f"{path}: cannot read it: {first}") from error
