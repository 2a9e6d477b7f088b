"""Optional extras: without psycopg or pyarrow the feature that needs it is one line naming
the extra to install (the modules are hidden here by a None entry in sys.modules)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from ablab.gate.export import ExportError, read_table, write_table
from ablab.store import StoreError, open_store


def test_postgres_without_psycopg_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "psycopg" or m.startswith("psycopg.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(StoreError, match=r"needs the psycopg package, which is not installed; "
                                         r"pip install 'ablab\[postgres\]'$"):
        open_store("postgresql+psycopg://postgres@127.0.0.1:5432/test")


def test_parquet_without_pyarrow_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "fastparquet", None)
    message = r"needs the pyarrow package, which is not installed; pip install 'ablab\[parquet\]'"
    with pytest.raises(ExportError, match=message):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.parquet")
    assert not list(tmp_path.iterdir())
    (tmp_path / "t.parquet").write_bytes(b"PAR1")
    with pytest.raises(ExportError, match=message):
        read_table(tmp_path / "t.parquet")
