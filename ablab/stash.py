"""What the plugin, the fixtures and the terminal summary share through pytest's stash:
the session (settings and store) and the records of cells."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from ablab.cells import Collected
from ablab.session import Session

CELL_PROPERTY = "ablab_cell"
SESSION_KEY = pytest.StashKey[Session]()


@dataclass
class Records:
    """The cells reports carried to this process (the summary prints them; under pytest-xdist
    they arrive from the workers). Claims read the store, not these."""

    cells: list[dict[str, Any]] = field(default_factory=list)
    collected: Collected = field(default_factory=Collected)  # what a claim's missing cells were


RECORDS_KEY = pytest.StashKey[Records]()
