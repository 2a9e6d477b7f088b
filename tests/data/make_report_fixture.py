"""Rebuild report-fixture.db: a subset of a real smoke run of the init study.

Made with `pytest ablations -k init --ablab-db sqlite:////tmp/report-demo.db` (digits, 3 seeds,
2-core CPU) and then `python tests/data/make_report_fixture.py /tmp/report-demo.db`.
Artifact paths are rewritten relative (the .npz files are not committed), so the report shows
the tables, per-class table, curves, bars and confusion matrix but no artifact figures.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import sqlalchemy as sa

from ablab.store.sql import metadata, open_store, runs

VARIANTS = ("mlp-default", "mlp-he", "mlp-normal", "mlp-zeros")
TARGET = Path(__file__).with_name("report-fixture.db")


def main(source: str) -> None:
    rows = [r for r in open_store(f"sqlite:///{source}").rows() if r.variant in VARIANTS]
    for row in rows:
        record = row.metrics.get("artifacts")
        if record:
            path = Path(record["path"])
            record["path"] = f"artifacts/{path.parent.name}/{path.name}"
    TARGET.unlink(missing_ok=True)
    engine = sa.create_engine(f"sqlite:///{TARGET}")
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(runs.insert(), [{**dataclasses.asdict(r), **r.metric_columns()}
                                           for r in rows])
    print(f"{len(rows)} rows -> {TARGET}")


if __name__ == "__main__":
    main(sys.argv[1])
