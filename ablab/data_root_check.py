"""`--ablab-data DIR` under the full profile: a root that holds none of the data sets the
selected cells need is an error, not a run where every cell skips and pytest exits 0.

The plugin refuses a DIR that is not a folder at start-up (ablab.startup). Which files a study
needs is only known when its cells load their data, so the rest is judged at the end: when
every cell that asked for data skipped because it was missing, the session fails with one line
naming what was looked for (the cells' own DataUnavailable messages).
"""

from __future__ import annotations

from typing import Any

import pytest

SKIP_PREFIX = "data unavailable: "  # how ablab.fixtures words the skip


class DataRootCheck:
    """Counts the cells that ran and those skipped for missing data (reports from xdist
    workers arrive here too) and fails the session when only the latter exist."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.ran = 0
        self.missing: dict[str, None] = {}  # first-seen order, no duplicates

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" and (report.passed or report.failed):
            self.ran += "ablation" in report.keywords
        elif report.skipped and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2]).removeprefix("Skipped: ")
            if reason.startswith(SKIP_PREFIX):
                self.missing[reason.removeprefix(SKIP_PREFIX)] = None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: Any) -> None:
        if self.ran or not self.missing or hasattr(session.config, "workerinput"):
            return
        looked_for = "; ".join(list(self.missing)[:3])
        more = f" (and {len(self.missing) - 3} more)" if len(self.missing) > 3 else ""
        terminal = session.config.pluginmanager.get_plugin("terminalreporter")
        line = (f"ERROR: --ablab-data {self.root}: no selected cell found its data there under "
                f"--ablab-profile full; looked for: {looked_for}{more}")
        if terminal is not None:
            terminal.write("\n")  # after the progress dots of -q
            terminal.write_line(line, red=True)
        session.exitstatus = pytest.ExitCode.USAGE_ERROR
