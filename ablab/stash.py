"""What the plugin, the fixtures and the terminal summary share through pytest's stash:
the session (settings and store) and the records of cells."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from ablab.cells import Collected
from ablab.store.jsonsafe import dumps

if TYPE_CHECKING:  # the session trains, so it loads torch: the terminal summary must not
    from ablab.session import Session

CELL_PROPERTY = "ablab_cell"
SESSION_KEY: pytest.StashKey[Session] = pytest.StashKey()


@dataclass
class Records:
    """The cells reports carried to this process (the summary prints them; under pytest-xdist
    they arrive from the workers). Claims read the store, not these."""

    cells: list[dict[str, Any]] = field(default_factory=list)
    collected: Collected = field(default_factory=Collected)  # what a claim's missing cells were


RECORDS_KEY = pytest.StashKey[Records]()


def as_property(record: dict[str, Any]) -> str:
    """A record as a test's user property: JSON, so `--junitxml` holds JSON rather than a
    Python repr (non-finite floats become null: JSON has no NaN)."""
    return dumps(record)


def from_property(value: object) -> dict[str, Any] | None:
    """The record a user property holds, or None when it is not one of ablab's."""
    if not isinstance(value, str):
        return None
    try:
        found = json.loads(value)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None
