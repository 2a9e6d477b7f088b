"""The live line of the cell being trained: study, variant, seed, epoch k/n, the latest
validation accuracy and the seconds so far, shown after pytest's own progress on a terminal.

It is drawn after pytest's text with the terminal's save-cursor / restore-cursor codes and
erased (restore, clear to the end of the line) before pytest writes again, so `-q` dots and
verbose lines read as without it. It is off where it could not be erased: output that is not a
terminal (CI logs, pipes), pytest-xdist workers (they have no terminal; the controller prints
its usual progress) and `-s`, where a test's own prints share the line.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from ablab.spec import EpochRecord

SAVE, RESTORE, CLEAR = "\x1b7", "\x1b8", "\x1b[K"
MIN_REDRAW_SECONDS = 0.1  # fast epochs: redraw at most ten times a second


def live_enabled(config: pytest.Config) -> bool:
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    return (terminal is not None and bool(terminal.isatty) and terminal.hasmarkup
            and not hasattr(config, "workerinput") and config.getoption("capture") != "no")


class LiveLine:
    """`update` is the training loop's per-epoch callback; `close` erases the line."""

    def __init__(self, config: pytest.Config, label: str, epochs: int) -> None:
        self.enabled = live_enabled(config)
        self.terminal: Any = config.pluginmanager.get_plugin("terminalreporter")
        self.capture: Any = config.pluginmanager.get_plugin("capturemanager")
        self.label, self.epochs = label, epochs
        self.start = time.perf_counter()
        self.drawn_at = -MIN_REDRAW_SECONDS
        self.shown = False

    def update(self, record: EpochRecord) -> None:
        now = time.perf_counter()
        if not self.enabled or (now - self.drawn_at < MIN_REDRAW_SECONDS
                                and record.epoch < self.epochs):
            return
        self.drawn_at = now
        text = (f" {self.label} epoch {record.epoch}/{self.epochs} "
                f"val {record.val_accuracy:.3f} {now - self.start:.1f}s")
        self._write(text)

    def close(self) -> None:
        if self.shown:
            self._write(None)

    def _write(self, text: str | None) -> None:
        writer = self.terminal._tw
        room = writer.fullwidth - writer.width_of_current_line - 1
        # The text never reaches the last column: a wrapped line could not be erased.
        chunk = RESTORE + CLEAR if self.shown else SAVE
        if text is not None:
            chunk += text[: max(room, 0)]
        with self.capture.global_and_fixture_disabled():
            writer._file.write(chunk)
            writer._file.flush()
        self.shown = text is not None
