"""The session's start-up checks of the folders it will write and the environment it reads
(the options' own checks are beside them in ablab.plugin). Each bad value is one
pytest.UsageError line, raised in pytest_configure before anything trains and with nothing
written: a results folder that cannot be written would otherwise end the run in a traceback
after its cells trained, and a bad environment variable would be ignored or fail every cell.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ablab.data.loading import checked_cache, given_root
from ablab.report.write import check_report_folder
from ablab.store.artifacts import ARTIFACTS_ENV, artifacts_root
from ablab.train.slots import SLOTS_ENV, parse_slots
from ablab.writable import NotWritable, check_folder

MODELS_DIR = Path("results/models")  # --ablab-save-models
REPORT_DIR = Path("results")  # --ablab-report


def data_root(option: str | None) -> Path | None:
    """--ablab-data, else ABLAB_DATA (unset or empty: none), checked to be a folder."""
    try:
        return given_root(option, "--ablab-data")
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None


def check_outputs(config: pytest.Config, db_url: str) -> None:
    """Every folder the session may write besides the database (checked by the store): the
    decoded-data cache, the figure artifacts, and with their options the saved models and the
    report. The pytest-xdist controller checks them once, before its workers start: workers
    probing the same folders at once could see each other's probe folders."""
    if hasattr(config, "workerinput"):
        return
    folders = []
    artifacts = os.environ.get(ARTIFACTS_ENV)
    folders.append((artifacts_root(db_url), f"{ARTIFACTS_ENV}={artifacts}" if artifacts
                    else f"the figure artifacts folder (beside {db_url}; set {ARTIFACTS_ENV})"))
    if config.getoption("ablab_save_models"):
        folders.append((MODELS_DIR, f"--ablab-save-models writes to {MODELS_DIR}"))
    try:
        checked_cache()  # ABLAB_CACHE if set; the user's cache folder is made when needed
        for folder, head in folders:
            check_folder(folder, head)
        if config.getoption("ablab_report"):
            check_report_folder(REPORT_DIR, f"--ablab-report writes to {REPORT_DIR}")
    except NotWritable as error:
        raise pytest.UsageError(str(error)) from None


def check_environment() -> None:
    """The environment variables the plugin reads itself (ABLAB_DB and ABLAB_SESSION are
    checked with their options)."""
    try:
        parse_slots(os.environ.get(SLOTS_ENV, ""))
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
