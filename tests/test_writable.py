"""ablab.writable: an output path is tried by making it, and leaves nothing behind either way."""

from __future__ import annotations

from pathlib import Path

import pytest

from ablab.writable import NotWritable, check_file, check_folder


def _everything(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_a_missing_folder_is_made_and_removed_again(tmp_path: Path) -> None:
    check_folder(tmp_path / "a" / "b" / "c", "--out x")
    check_file(tmp_path / "d" / "e.csv", "--out x")
    assert _everything(tmp_path) == []  # neither the folders nor the probe file stay


def test_an_existing_folder_keeps_what_it_holds(tmp_path: Path) -> None:
    (tmp_path / "kept.txt").write_text("x")
    check_folder(tmp_path, "--out x")
    check_file(tmp_path / "kept.txt", "--out x")  # an existing file is replaced by a rename
    assert _everything(tmp_path) == ["kept.txt"]


@pytest.mark.parametrize(("target", "message"), [
    ("afile", "afile is a file, not a folder; give a folder path"),
    ("afile/sub", "cannot create folder {tmp}/afile/sub: {tmp}/afile is a file, not a folder"),
    ("/proc/ablab-check", "cannot create folder /proc/ablab-check or a file in it"),
    ("/proc", "cannot create folder /proc or a file in it"),  # as root too: os.access says yes
])
def test_a_folder_that_cannot_be_written_is_one_line(
    tmp_path: Path, target: str, message: str
) -> None:
    (tmp_path / "afile").write_text("x")
    with pytest.raises(NotWritable, match=r"^--out x: ") as raised:
        check_folder(tmp_path / target, "--out x")
    assert message.format(tmp=tmp_path) in str(raised.value)
    assert "\n" not in str(raised.value)
    assert _everything(tmp_path) == ["afile"]


@pytest.mark.parametrize(("target", "message"), [
    ("adir", "{tmp}/adir is a folder; give a file path, e.g. {tmp}/adir/x.csv"),
    ("afile/x.csv", "{tmp}/afile is a file, not a folder, so {tmp}/afile/x.csv cannot be made"),
    ("/proc/x.csv", "cannot create folder /proc or a file in it"),
])
def test_a_file_that_cannot_be_written_is_one_line(
    tmp_path: Path, target: str, message: str
) -> None:
    (tmp_path / "afile").write_text("x")
    (tmp_path / "adir").mkdir()
    with pytest.raises(NotWritable) as raised:
        check_file(tmp_path / target, "--out x", example="x.csv")
    assert message.format(tmp=tmp_path) in str(raised.value)
    assert _everything(tmp_path) == ["adir", "afile"]
