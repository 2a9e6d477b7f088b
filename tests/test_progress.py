"""The live progress line, read from a real terminal (a pty): a 40-cell study shows each cell's
line, and erasing it leaves pytest's own `-q` output exactly as it is without it."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ablab.progress import CLEAR, RESTORE, SAVE
from tests.conftest import REPO, child_env
from tests.test_plugin import pytest_in

STUDY = '''
import pytest
from ablab.spec import Experiment

@pytest.mark.parametrize("width", range(1, 21))
def test_width(run, width, seed):
    run(Experiment(dataset="digits", model="mlp", model_kwargs={"hidden": (width,)}, epochs=3,
                   batch_size=256))
'''


def _on_a_terminal(folder: Path, *args: str) -> str:
    """pytest's output as a terminal shows it (escape codes included)."""
    main, child = pty.openpty()
    env = {**child_env(), "PYTHONPATH": str(REPO), "TERM": "xterm", "COLUMNS": "160",
           "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1"}
    env.pop("ABLAB_DB", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(folder),
         *args], cwd=folder, env=env, stdin=child, stdout=child, stderr=child)
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 1 << 16)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert process.wait(timeout=600) == 0
    return b"".join(chunks).decode()


@pytest.mark.slow
def test_a_40_cell_study_shows_a_live_line_per_cell(tmp_path: Path) -> None:
    (tmp_path / "test_widths.py").write_text(STUDY)
    shown = _on_a_terminal(tmp_path, "-q", "--ablab-seeds", "2")
    lines = re.findall(r"(?:\x1b7|\x1b8\x1b\[K)( widths [^\x1b]+)", shown)
    for width in range(1, 21):
        for seed in (0, 1):
            assert any(re.fullmatch(rf" widths {width} seed{seed} epoch 3/3 val "
                                    r"\d\.\d{3} \d+\.\ds", line) for line in lines)
    erased = re.sub(r"(?:\x1b7|\x1b8\x1b\[K)(?: widths [^\x1b]*)?", "", shown)
    assert SAVE not in erased
    assert RESTORE + CLEAR not in erased
    plain = re.sub(r"\x1b\[[\d;]*m", "", erased)  # pytest's colours
    assert "." * 40 + " " in plain  # the -q dots are whole: nothing was overwritten
    assert "40 passed" in plain


def test_no_live_line_where_output_is_not_a_terminal(tmp_path: Path) -> None:
    (tmp_path / "test_widths.py").write_text(STUDY.replace("range(1, 21)", "range(1, 2)"))
    done = pytest_in(tmp_path, "-q", "--ablab-seeds", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "\x1b" not in done.stdout
    assert "epoch" not in done.stdout
