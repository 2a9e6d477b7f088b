"""Bad inputs, run as a user runs the commands (subprocesses in a fresh folder). For each: a
non-zero exit, the problem and what is allowed on one line, no traceback, nothing written
(no database, rows, cache or results file; for the database cases no cell trained).

A case is one line of a table: `CLI` for `python -m ablab ...` and `pytest ...` option
errors, `STUDIES` for Experiment values a study module gives (all collected in one pytest run,
each module its own collection error). `{dir}` in an argument is the case's folder.
"""

from __future__ import annotations

import re
import shlex
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch

from tests.conftest import REPO, child_env

# The study every `pytest` case collects: it leaves a file behind if a cell ever starts.
TINY = '''
from pathlib import Path
from ablab.spec import Experiment

def test_cell(run, seed):
    Path("trained-{}".format(seed)).write_text("a cell started")
    run(Experiment(dataset="digits", epochs=1))
'''
# The data cases do start cells (the data is found missing or corrupt when a cell loads it).
# mnist is this repository's dataset, not ablab's: the study imports it as a project would.
MNIST_STUDY = "import datasets  # noqa: F401\n" + TINY.replace(
    'dataset="digits"', 'dataset="mnist"').replace(
    '    Path("trained-{}".format(seed)).write_text("a cell started")\n', "")
BASELINE = REPO / "results" / "baselines" / "smoke-cpu.csv"
TRACEBACK_FRAME = re.compile(r"ablab/\S+\.py:\d+: in ")  # a frame of ablab's own code


def _searches(folder: Path) -> None:
    """`mlp_search` is this repository's search: the folder is a project that imports it."""
    (folder / "pyproject.toml").write_text('[tool.ablab]\nimports = ["searches"]\n')


def _searches_and(setup: Callable[[Path], None]) -> Callable[[Path], None]:
    def both(folder: Path) -> None:
        _searches(folder)
        setup(folder)

    return both


def _corrupt(folder: Path) -> None:
    (folder / "bad.db").write_bytes(bytes(range(256)) * 12)


def _foreign(folder: Path) -> None:
    with sqlite3.connect(folder / "foreign.db") as db:
        db.execute("CREATE TABLE runs (id INTEGER, name TEXT)")


def _a_file(folder: Path) -> None:
    (folder / "afile").write_text("not a folder")


def _empty_root(folder: Path) -> None:
    (folder / "empty").mkdir()


def _truncated_mnist(folder: Path) -> None:
    import gzip

    raw = folder / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        whole = gzip.compress(bytes(4096))
        (raw / f"{name}.gz").write_bytes(whole[: len(whole) // 2])


def _rows(folder: Path, *, trial: int | None) -> None:
    from ablab.store import open_store
    from tests.test_store import make_row

    with open_store(f"sqlite:///{folder / 'rows.db'}") as store:
        store.append(make_row("s1", 0, trial=trial))


def _ablation_rows(folder: Path) -> None:
    _rows(folder, trial=None)


def _search_rows(folder: Path) -> None:
    _rows(folder, trial=0)


def _bad_csv(folder: Path) -> None:
    (folder / "bad.csv").write_text("a,b\n1,2\n")


@dataclass(frozen=True)
class Case:
    """`command` (`pytest ...` or `ablab ...`) must fail with `message` on one line."""

    command: str
    message: str
    setup: Callable[[Path], None] | None = None
    env: dict[str, str] = field(default_factory=dict)
    study: str = TINY
    stdout: bool = False  # the line is pytest's report (stdout), not an error on stderr


NO_CUDA = not torch.cuda.is_available()
DB = "sqlite:///{dir}"
CLI: dict[str, Case] = {
    # pytest options
    "profile-unknown": Case("pytest --ablab-profile huge",
                            "argument --ablab-profile: invalid choice: 'huge'"),
    "seeds-zero": Case("pytest --ablab-seeds 0", "'0' is not allowed; give an integer >= 1"),
    "seeds-text": Case("pytest --ablab-seeds many", "'many' is not allowed; give an integer"),
    "seeds-negative": Case("pytest --ablab-seeds=-2", "'-2' is not allowed; give an integer"),
    "device-unknown": Case("pytest --ablab-device tpu",
                           "--ablab-device: device='tpu' is not allowed; device must be auto"),
    "device-bad-index": Case("pytest --ablab-device cuda:x", "device='cuda:x' is not allowed"),
    "amp-unknown": Case("pytest --ablab-amp fp8", "argument --ablab-amp: invalid choice: 'fp8'"),
    "amp-on-cpu": Case("pytest --ablab-device cpu --ablab-amp bf16",
                       "--ablab-amp bf16: needs a CUDA device"),
    "tf32-on-cpu": Case("pytest --ablab-device cpu --ablab-tf32",
                        "--ablab-tf32: needs a CUDA device"),
    "db-garbage": Case("pytest --ablab-db garbage",
                       "--ablab-db: database URL 'garbage' is not usable"),
    "db-env-garbage": Case("pytest", "--ablab-db: database URL 'garbage' is not usable",
                           env={"ABLAB_DB": "garbage"}),
    "db-unknown-dialect": Case("pytest --ablab-db nosuchdb://x", "is not usable"),
    "db-unreachable": Case("pytest --ablab-db postgresql://postgres@127.0.0.1:1/x",
                           "--ablab-db: cannot reach database postgresql://"),
    "db-corrupt": Case(f"pytest --ablab-db {DB}/bad.db", "file is not a database", _corrupt),
    "db-foreign": Case(f"pytest --ablab-db {DB}/foreign.db", "its table runs is not ablab's",
                       _foreign),
    "db-folder": Case(f"pytest --ablab-db {DB}", "is a folder; give a file path"),
    "db-under-proc": Case("pytest --ablab-db sqlite:////proc/ablab/runs.db",
                          "cannot create folder /proc/ablab"),
    "db-under-file": Case(f"pytest --ablab-db {DB}/afile/sub/runs.db",
                          "afile/sub or a file in it", _a_file),
    "data-not-folder": Case("pytest --ablab-data {dir}/nothing", "nothing: no such folder"),
    "data-full-empty": Case("pytest --ablab-profile full --ablab-seeds 1 --ablab-data "
                            "{dir}/empty", "no selected cell found its data there",
                            _empty_root, study=MNIST_STUDY, stdout=True),
    "mnist-truncated": Case("pytest --ablab-seeds 1", "corrupt data: ", _truncated_mnist,
                            env={"ABLAB_DATA": "{dir}/data"}, study=MNIST_STUDY, stdout=True),
    # python -m ablab
    "no-command": Case("ablab", "the following arguments are required: COMMAND"),
    "unknown-command": Case("ablab frobnicate", "invalid choice: 'frobnicate'"),
    "report-garbage-db": Case("ablab report --db garbage", "database URL 'garbage' is not"),
    "report-corrupt-db": Case(f"ablab report --db {DB}/bad.db", "file is not a database",
                              _corrupt),
    "report-foreign-db": Case(f"ablab report --db {DB}/foreign.db",
                              "its table runs is not ablab's", _foreign),
    "report-empty-db": Case(f"ablab report --db {DB}/none.db", "no runs in"),
    "report-unknown-session": Case(f"ablab report --db {DB}/rows.db --session nope",
                                   "session 'nope' is not in", _ablation_rows),
    "export-format": Case("ablab export --out {dir}/x.txt", "unknown format '.txt'; use .csv"),
    "export-empty-db": Case(f"ablab export --out {{dir}}/x.csv --db {DB}/none.db",
                            "has no rows; run the ablations first"),
    "export-search-only": Case(f"ablab export --out {{dir}}/x.csv --db {DB}/rows.db",
                               "has only search trial rows", _search_rows),
    "export-unknown-session": Case(
        f"ablab export --out {{dir}}/x.csv --db {DB}/rows.db --session nope",
        "session 'nope' has no ablation rows", _ablation_rows),
    "compare-missing-baseline": Case(f"ablab compare --baseline {{dir}}/no.csv --db {DB}/r.db",
                                     "no.csv: no such file"),
    "compare-baseline-format": Case("ablab compare --baseline {dir}/x.json",
                                    "unknown format '.json'"),
    "compare-bad-baseline": Case("ablab compare --baseline {dir}/bad.csv --current "
                                 "{dir}/bad.csv", "baseline lacks column(s)", _bad_csv),
    "compare-nothing-compared": Case(f"ablab compare --baseline {BASELINE} --db {DB}/rows.db",
                                     "nothing compared", _ablation_rows),
    "compare-bad-floor": Case("ablab compare --baseline x.csv --floor abc",
                              "argument --floor: invalid float value: 'abc'"),
    "search-unknown": Case("ablab search nosuch --n-trials 1", "unknown search 'nosuch'"),
    "search-zero-trials": Case(f"ablab search mlp_search --n-trials 0 --db {DB}/r.db",
                               "--n-trials 0 is not allowed", _searches),
    "search-bad-timeout": Case(f"ablab search mlp_search --n-trials 1 --timeout -1 "
                               f"--db {DB}/r.db", "--timeout -1.0 is not allowed", _searches),
    "search-bad-device": Case(f"ablab search mlp_search --n-trials 1 --device tpu "
                              f"--db {DB}/r.db", "device='tpu' is not allowed", _searches),
    "search-corrupt-db": Case(f"ablab search mlp_search --n-trials 1 --db {DB}/bad.db",
                              "file is not a database", _searches_and(_corrupt)),
    "search-foreign-db": Case(f"ablab search mlp_search --n-trials 1 --db {DB}/foreign.db",
                              "its table runs is not ablab's", _searches_and(_foreign)),
    "datasets-unknown": Case("ablab datasets --only nosuch", "unknown dataset 'nosuch'"),
}
if NO_CUDA:
    CLI["device-cuda-absent"] = Case("pytest --ablab-device cuda",
                                     "--ablab-device cuda: no CUDA device on this machine")

# Experiment(<fields>) in a study module -> the ValueError line pytest reports for it.
STUDIES: dict[str, tuple[str, str]] = {
    "epochs-float": ("epochs=2.5", "epochs=2.5 is not allowed; epochs must be an integer"),
    "batch-float": ("batch_size=32.5", "batch_size=32.5 is not allowed; batch_size must be an"),
    "batch-bool": ("batch_size=True", "batch_size=True is not allowed; batch_size must be an"),
    "batch-text": ('batch_size="64"', "batch_size='64' is not allowed; batch_size must be an"),
    "seed-float": ("seed=1.5", "seed=1.5 is not allowed; seed must be an integer"),
    "lr-text": ('lr="0.01"', "lr='0.01' is not allowed; lr must be a finite number"),
    "wd-inf": ('optimizer_kwargs={"weight_decay": float("inf")}',
               "optimizer 'adam': weight_decay=inf is not allowed; weight_decay must be a finite"),
    "hidden-text": ('model_kwargs={"hidden": "abc"}', "model 'mlp': hidden='abc' is not "
                                                      "allowed; hidden must be a tuple of"),
    "unknown-kwarg": ('model_kwargs={"depth": 3}', "model 'mlp' takes no argument 'depth'"),
    "literal-kwarg": ('model_kwargs={"activation": "swish"}',
                      "model 'mlp': activation='swish' is not allowed; choose one of"),
    "unknown-model": ('model="resnet1000"', "unknown model 'resnet1000'; known models:"),
    "unknown-dataset": ('dataset="imagenet"', "unknown dataset 'imagenet'; known datasets:"),
    "unknown-init": ('init="kaiming"', "unknown init 'kaiming'; known inits:"),
    "lr-negative": ("lr=-1.0", "lr=-1.0 is not allowed; lr must be a finite number > 0"),
    "dropout-one": ("dropout=1.0", "dropout=1.0 is not allowed; dropout must be in [0, 1)"),
    "fractions": ("val_fraction=0.9", "val_fraction + test_fraction=1.05 is not allowed"),
    "penalty-weight": ('penalty="l2"', "penalty 'l2' needs the argument 'weight'"),
    "schedule-unknown": ('schedule="cyclic"', "unknown schedule 'cyclic'; known schedules:"),
    "grad-clip-zero": ("grad_clip=0.0", "grad_clip=0.0 is not allowed; grad_clip must be None"),
    "amp-cpu": ('device="cpu", amp="bf16"', "amp='bf16' is not allowed; amp must be off on"),
    "tf32-text": ('tf32="yes"', "tf32='yes' is not allowed; tf32 must be True or False"),
    "window-float": ("window=2.0", "window=2.0 is not allowed; window must be an integer or"),
}


def _env(folder: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {**child_env(), "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1",
           "ABLAB_CACHE": str(folder / "cache"), "OMP_NUM_THREADS": "1"}
    for name in ("ABLAB_DB", "ABLAB_DATA"):
        env.pop(name, None)
    env.update({k: v.format(dir=folder) for k, v in extra.items()})
    return env


def _run(folder: Path, command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    tool, *args = shlex.split(command.format(dir=folder))
    head = ["-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(folder)] \
        if tool == "pytest" else ["-m", "ablab"]
    return subprocess.run([sys.executable, *head, *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def _error_lines(stderr: str) -> list[str]:
    """stderr without argparse's usage block and pytest's inifile/rootdir notes."""
    kept = []
    for line in stderr.splitlines():
        if not line.strip() or line.startswith((" ", "\t", "usage:", "ERROR: usage:")):
            continue
        kept.append(line)
    return kept


def _assert_clean(out: str) -> None:
    assert "Traceback" not in out
    assert not TRACEBACK_FRAME.search(out), out


@pytest.mark.parametrize("name", CLI)
def test_a_bad_command_fails_in_one_line_and_writes_nothing(tmp_path: Path, name: str) -> None:
    case = CLI[name]
    (tmp_path / "test_study.py").write_text(case.study)
    if case.setup is not None:
        case.setup(tmp_path)
    before = _files(tmp_path)
    done = _run(tmp_path, case.command, _env(tmp_path, case.env))
    assert done.returncode != 0, done.stdout + done.stderr
    _assert_clean(done.stdout + done.stderr)
    message = case.message.format(dir=tmp_path)
    if case.stdout:
        assert [line for line in done.stdout.splitlines() if message in line], done.stdout
    else:
        lines = _error_lines(done.stderr)
        assert len(lines) == 1, done.stderr
        assert message in lines[0]
    assert _files(tmp_path) == before  # no database, cache, results file, no cell started


@pytest.fixture(scope="module")
def bad_studies(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, int]:
    """One pytest run over one module per STUDIES case: (folder, its stdout, its exit)."""
    folder = tmp_path_factory.mktemp("bad-studies")
    for name, (fields, _) in STUDIES.items():
        module = folder / f"test_{name.replace('-', '_')}.py"
        module.write_text("from ablab.spec import Experiment\n"
                          f"BASE = Experiment({fields})\n"
                          "def test_cell(run, seed):\n    run(BASE)\n")
    done = _run(folder, "pytest", _env(folder, {}))
    return folder, done.stdout, done.returncode


@pytest.mark.parametrize("name", STUDIES)
def test_a_bad_experiment_is_one_line_naming_the_field(
    bad_studies: tuple[Path, str, int], name: str
) -> None:
    folder, stdout, code = bad_studies
    assert code != 0
    module = f"test_{name.replace('-', '_')}.py"
    block = stdout.split(f"ERROR collecting {module}")[1].split("ERROR collecting")[0]
    found = [line for line in block.splitlines() if line.startswith("E   ")]
    assert len(found) == 1, block
    assert found[0].startswith("E   ValueError: "), found[0]
    assert STUDIES[name][1] in found[0], found[0]  # axis errors may name their field first
    _assert_clean(block)
    assert sorted(_files(folder)) == sorted(f"test_{n.replace('-', '_')}.py" for n in STUDIES)
