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
# The override cases whose cells do start (only a cell can judge them): no marker file.
CELL_STUDY = TINY.replace(
    '    Path("trained-{}".format(seed)).write_text("a cell started")\n', "")
BASELINE = REPO / "results" / "baselines" / "smoke-cpu.csv"
WINDOW = REPO / "ablations" / "test_window.py"
ARCHITECTURE = REPO / "ablations" / "test_architecture.py"
TRACEBACK_FRAME = re.compile(r"ablab/\S+\.py:\d+: in ")  # a frame of ablab's own code


def _project(*modules: str) -> Callable[[Path], None]:
    """The folder is a project that imports this repository's own modules (`[tool.ablab]`)."""
    def write(folder: Path) -> None:
        names = ", ".join(f'"{m}"' for m in modules)
        (folder / "pyproject.toml").write_text(f"[tool.ablab]\nimports = [{names}]\n")

    return write


def _searches(folder: Path) -> None:
    """`mlp_search` is this repository's search: the folder is a project that imports it."""
    _project("searches")(folder)


def _both(first: Callable[[Path], None], then: Callable[[Path], None]) -> Callable[[Path], None]:
    def both(folder: Path) -> None:
        first(folder)
        then(folder)

    return both


def _searches_and(setup: Callable[[Path], None]) -> Callable[[Path], None]:
    return _both(_searches, setup)


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


def _a_folder(name: str) -> Callable[[Path], None]:
    """A folder where a file is expected (`x.csv`, `out/REPORT.md`)."""
    def make(folder: Path) -> None:
        (folder / name).mkdir(parents=True)

    return make


def _results_file(folder: Path) -> None:
    """`results` is a regular file: the default database, models and report folder are under
    it."""
    (folder / "results").write_text("not a folder")


def _artifacts_file(folder: Path) -> None:
    """The default artifacts folder beside results/ablab.db is a regular file."""
    (folder / "results").mkdir()
    (folder / "results" / "artifacts").write_text("not a folder")


def _uea_set(folder: Path) -> None:
    """A UEA set under data/timeseries/ (only found, never loaded: the variable fails first)."""
    tiny = folder / "data" / "timeseries" / "Tiny"
    tiny.mkdir(parents=True)
    for part in ("TRAIN", "TEST"):
        (tiny / f"Tiny_{part}.ts").write_text("@problemName Tiny\n")


def _text_baseline(folder: Path) -> None:
    """The committed baseline with a text value where the gate reads numbers."""
    text = BASELINE.read_text().splitlines()
    accuracy = text[0].split(",").index("accuracy")
    first = text[1].split(",")
    first[accuracy] = "abc"
    (folder / "text.csv").write_text("\n".join([text[0], ",".join(first), *text[2:]]) + "\n")


def _pyproject(text: str) -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        (folder / "pyproject.toml").write_text(text)

    return write


def _named_session(folder: Path) -> None:
    """Session s1 registered with another collection, and a claim stored under it: the refused
    run must print its one-line error, not the session's stored claims."""
    from ablab.store import ClaimRow, SessionManifest, open_store

    with open_store(f"sqlite:///{folder / 'named.db'}") as store:
        store.register(SessionManifest(session_id="s1", settings={"profile": "smoke",
                                                                  "seeds": [0, 1, 2]},
                                       units={"other.py::test_x": ["other.py::test_x"]}))
        store.append_claim(ClaimRow(
            session_id="s1", study="old", node_id="other.py::test_x", kind="comparison",
            a="a", b="b", metric="accuracy", direction="higher", n=3, diff=0.1, ci_low=0.0,
            ci_high=0.2, p_value=0.04, alpha=0.05, verdict="better", asserted=True,
            passed=True, text="a stored claim", seeds=[0, 1, 2]))


@dataclass(frozen=True)
class Case:
    """`command` (`pytest ...` or `ablab ...`) must fail with `message` on one line."""

    command: str
    message: str
    setup: Callable[[Path], None] | None = None
    env: dict[str, str] = field(default_factory=dict)
    study: str = TINY
    stdout: bool = False  # the line is pytest's report (stdout), not an error on stderr
    # An error on stderr comes alone: `ablab` prints nothing on stdout, pytest no session
    # summary (no stored claims). Off where a listing before the error is by design.
    quiet: bool = True


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
                          "cannot create folder {dir}/afile/sub: {dir}/afile is a file", _a_file),
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
                                     "nothing compared", _ablation_rows, quiet=False),
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
    # --ablab-set: checked at start-up as far as no cell is needed (ablab.overrides)
    "set-text": Case("pytest --ablab-set epochs=abc",
                     "--ablab-set epochs='abc': epochs='abc' is not allowed; epochs must be an"),
    "set-empty-value": Case("pytest --ablab-set epochs=", "epochs='' is not allowed"),
    "set-negative": Case("pytest --ablab-set lr=-1", "lr=-1 is not allowed; lr must be a finite"),
    "set-nan": Case("pytest --ablab-set dropout=NaN", "dropout=nan is not allowed; dropout must"),
    "set-malformed": Case("pytest --ablab-set =3", "'=3' is not FIELD=VALUE"),
    "set-unknown-field": Case("pytest --ablab-set nope=1", "unknown field 'nope'; fields:"),
    "set-session-field": Case("pytest --ablab-set seed=3", "seed is a session setting; use"),
    "set-one-channel": Case("pytest --ablab-set model_kwargs.dropout=0.2",
                            "set the field dropout= instead"),
    "set-kwargs-not-dict": Case("pytest --ablab-set model_kwargs=3",
                                "model_kwargs=3 is not allowed; model_kwargs must be a dict"),
    "set-unknown-name": Case("pytest --ablab-set optimizer=adamm",
                             "--ablab-set optimizer='adamm': unknown optimizer 'adamm'"),
    "set-unknown-kwarg": Case("pytest --ablab-set optimizer_kwargs.wd=0.1",
                              "no registered optimizer takes it (optimizer 'adam' takes no"),
    "set-kwarg-type": Case("pytest --ablab-set optimizer=sgd --ablab-set "
                           "optimizer_kwargs.momentum=abc",
                           "optimizer 'sgd': momentum='abc' is not allowed; momentum must be"),
    "set-cell-mismatch": Case("pytest --ablab-seeds 1 --ablab-set model_kwargs.channels=[8]",
                              "--ablab-set model_kwargs.channels=[8]: model 'mlp' takes no "
                              "argument 'channels'", study=CELL_STUDY, stdout=True),
    # xdist workers cannot refuse the run after collection: each cell fails in one line
    "set-unknown-name-xdist": Case("pytest -n 2 --ablab-seeds 1 --ablab-set optimizer=adamm",
                                   "--ablab-set optimizer='adamm': unknown optimizer 'adamm'",
                                   study=CELL_STUDY, stdout=True),
    # empty option values (`--ablab-db "$URL"` with URL unset)
    "db-empty": Case('pytest --ablab-db ""', "argument --ablab-db: '' is not allowed; give a"),
    "data-empty": Case('pytest --ablab-data ""', "argument --ablab-data: '' is not allowed"),
    "session-empty": Case('pytest --ablab-session ""', "argument --ablab-session: '' is not"),
    # environment variables the plugin reads
    "data-is-file": Case("pytest --ablab-data {dir}/afile", "afile: is a file, not a folder",
                         _a_file),
    "data-env-missing": Case("pytest", "ABLAB_DATA={dir}/nothing: no such folder",
                             env={"ABLAB_DATA": "{dir}/nothing"}),
    "data-env-file": Case("pytest", "ABLAB_DATA={dir}/afile: is a file, not a folder", _a_file,
                          env={"ABLAB_DATA": "{dir}/afile"}),
    "session-env-bad": Case("pytest", "--ablab-session 'a b': use 1-64 letters, digits",
                            env={"ABLAB_SESSION": "a b"}),
    "cuda-slots-garbage": Case("pytest", "ABLAB_CUDA_SLOTS=gpu0: 'gpu0' is not a GPU index",
                               env={"ABLAB_CUDA_SLOTS": "gpu0"}),
    "uea-sets-unknown": Case(f"pytest --ablab-profile full --ablab-data {{dir}}/data {WINDOW}",
                             "ABLAB_UEA_SETS=Nope: 'Nope' not under",
                             _both(_project("models", "datasets"), _uea_set),
                             env={"ABLAB_UEA_SETS": "Nope"}, stdout=True),
    "s5-nets-unknown": Case(f"pytest {ARCHITECTURE}", "ABLAB_S5_NETS=vgg16,nonet: 'nonet' not a "
                            "zoo network", _project("models", "datasets"),
                            env={"ABLAB_S5_NETS": "vgg16,nonet"}, stdout=True),
    # a refused run prints its error, not the session's stored claims
    "named-session-refused": Case(f"pytest --ablab-db {DB}/named.db --ablab-session s1",
                                  "--ablab-session s1: this collection differs",
                                  _named_session),
    # the folders a session writes, checked at start-up
    "cache-under-proc": Case("pytest", "ABLAB_CACHE=/proc/ablab: cannot create folder "
                             "/proc/ablab", env={"ABLAB_CACHE": "/proc/ablab"}),
    "cache-is-file": Case("pytest", "ABLAB_CACHE={dir}/afile: {dir}/afile is a file, not a "
                          "folder", _a_file, env={"ABLAB_CACHE": "{dir}/afile"}),
    "artifacts-under-proc": Case("pytest", "ABLAB_ARTIFACTS=/proc/ablab: cannot create folder",
                                 env={"ABLAB_ARTIFACTS": "/proc/ablab"}),
    "artifacts-under-file": Case("pytest", "cannot create folder {dir}/afile/art: {dir}/afile "
                                 "is a file", _a_file, env={"ABLAB_ARTIFACTS": "{dir}/afile/art"}),
    "artifacts-default-file": Case("pytest", "the figure artifacts folder (beside sqlite:///"
                                   "results/ablab.db; set ABLAB_ARTIFACTS): results/artifacts "
                                   "is a file", _artifacts_file),
    "results-is-file": Case("pytest", "results is a file, not a folder", _results_file),
    "save-models-blocked": Case(f"pytest --ablab-save-models --ablab-db {DB}/r.db",
                                "--ablab-save-models writes to results/models: cannot create "
                                "folder results/models: results is a file", _results_file),
    "report-blocked": Case(f"pytest --ablab-report --ablab-db {DB}/r.db",
                           "--ablab-report writes to results: results is a file", _results_file),
    "report-md-folder": Case(f"pytest --ablab-report --ablab-db {DB}/r.db",
                             "results/REPORT.md is a folder", _a_folder("results/REPORT.md")),
    # the CLI's output paths, checked before anything is read or drawn
    "report-out-file": Case(f"ablab report --db {DB}/rows.db --out {{dir}}/afile",
                            "--out {dir}/afile: {dir}/afile is a file, not a folder",
                            _both(_ablation_rows, _a_file)),
    "report-out-proc": Case(f"ablab report --db {DB}/rows.db --out /proc/ablab",
                            "--out /proc/ablab: cannot create folder /proc/ablab",
                            _ablation_rows),
    "report-out-under-file": Case("ablab report --out {dir}/afile/sub",
                                  "cannot create folder {dir}/afile/sub: {dir}/afile is a file",
                                  _a_file),
    "report-md-is-folder": Case(f"ablab report --db {DB}/rows.db --out {{dir}}/out",
                                "{dir}/out/REPORT.md is a folder",
                                _both(_ablation_rows, _a_folder("out/REPORT.md"))),
    "report-since-malformed": Case("ablab report --since yesterday",
                                   "--since 'yesterday' is not an ISO date"),
    "report-study-empty": Case('ablab report --study ""', "argument --study: '' is not allowed"),
    "export-out-under-file": Case(f"ablab export --db {DB}/rows.db --out {{dir}}/afile/x.csv",
                                  "{dir}/afile is a file, not a folder, so {dir}/afile/x.csv",
                                  _both(_ablation_rows, _a_file)),
    "export-out-proc": Case(f"ablab export --db {DB}/rows.db --out /proc/x.csv",
                            "--out /proc/x.csv: cannot create folder /proc or a file in it",
                            _ablation_rows),
    "export-out-folder": Case(f"ablab export --db {DB}/rows.db --out {{dir}}/x.csv",
                              "{dir}/x.csv is a folder; give a file path",
                              _both(_ablation_rows, _a_folder("x.csv"))),
    "compare-out-proc": Case(f"ablab compare --baseline {BASELINE} --current {BASELINE} "
                             "--out /proc/gate.md", "--out /proc/gate.md: cannot create folder"),
    "compare-out-under-file": Case(f"ablab compare --baseline {BASELINE} --current {BASELINE} "
                                   "--out {dir}/afile/gate.md", "{dir}/afile is a file", _a_file),
    "compare-out-folder": Case(f"ablab compare --baseline {BASELINE} --current {BASELINE} "
                               "--out {dir}/gate", "{dir}/gate is a folder; give a file path",
                               _a_folder("gate")),
    "compare-baseline-folder": Case("ablab compare --baseline {dir}/x.csv",
                                    "x.csv: is a folder; give the table", _a_folder("x.csv")),
    "compare-floor-inf": Case("ablab compare --baseline x.csv --floor inf",
                              "--floor=inf is not allowed; it must be a finite number >= 0"),
    "compare-text-value": Case(f"ablab compare --baseline {{dir}}/text.csv --current {BASELINE}",
                               "baseline: column accuracy holds 'abc', not a number",
                               _text_baseline),
    "compare-text-metric": Case(f"ablab compare --baseline {BASELINE} --current {BASELINE} "
                                "--metric status", "column status holds 'ok', not a number"),
    "project-not-table": Case("ablab models", "[tool.ablab] must be a table",
                              _pyproject("[tool]\nablab = 5\n")),
    "project-relative-import": Case("pytest", "[tool.ablab] imports must be a list of module "
                                    "names, got ['..x']",
                                    _pyproject('[tool.ablab]\nimports = ["..x"]\n')),
    "datasets-data-missing": Case("ablab datasets --data {dir}/nothing",
                                  "--data {dir}/nothing: no such folder"),
    "datasets-data-empty": Case('ablab datasets --data ""', "--data '': is empty"),
    "datasets-data-env-file": Case("ablab datasets", "ABLAB_DATA={dir}/afile: is a file",
                                   _a_file, env={"ABLAB_DATA": "{dir}/afile"}),
    "datasets-cache-proc": Case("ablab datasets --cache /proc/ablab",
                                "--cache /proc/ablab: cannot create folder /proc/ablab"),
    "datasets-cache-env-file": Case("ablab datasets", "ABLAB_CACHE={dir}/afile: {dir}/afile is "
                                    "a file", _a_file, env={"ABLAB_CACHE": "{dir}/afile"}),
    "search-data-missing": Case(f"ablab search mlp_search --n-trials 1 --db {DB}/r.db --data "
                                "{dir}/nothing", "--data {dir}/nothing: no such folder",
                                _searches),
    "search-full-no-data": Case(f"ablab search mlp_search --n-trials 1 --db {DB}/r.db "
                                "--profile full", "--profile full: mnist: no data root",
                                _project("searches", "datasets")),
    "search-name-spaces": Case(f"ablab search mlp_search --n-trials 1 --db {DB}/r.db --name "
                               "' x'", "--name ' x' is not allowed", _searches),
}
if NO_CUDA:
    CLI["device-cuda-absent"] = Case("pytest --ablab-device cuda",
                                     "--ablab-device cuda: no CUDA device on this machine")
else:
    CLI["device-index-absent"] = Case("pytest --ablab-device cuda:99",
                                      "--ablab-device cuda:99: this machine has")

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
    "epochs-zero": ("epochs=0", "epochs=0 is not allowed; epochs must be an integer > 0"),
    "monitor-unknown": ('monitor="accuracy"', "monitor='accuracy' is not allowed; choose one"),
    "patience-zero": ("patience=0", "patience=0 is not allowed; patience must be None or"),
    "label-noise-one": ("label_noise=1.0", "label_noise=1.0 is not allowed; label_noise must"),
    "candidates-twice": ("lr=0.1, lr_candidates=(0.1, 0.1)",
                         "lr_candidates=(0.1, 0.1) is not allowed; lr_candidates must be"),
    "lr-not-candidate": ("lr_candidates=(0.1, 0.01)",
                         "lr=0.001 is not allowed; lr must be one of lr_candidates"),
    "target-above-one": ("target_accuracy=1.5", "target_accuracy=1.5 is not allowed"),
    "dropout-in-kwargs": ('model_kwargs={"dropout": 0.2}',
                          "model_kwargs['dropout']=0.2 is not allowed; set the field dropout="),
    "betas-torch-rejects": ('optimizer_kwargs={"betas": (2.0, 0.9)}',
                            "optimizer='adam' with optimizer_kwargs={'betas': (2.0, 0.9)}: "),
}


def _env(folder: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {**child_env(), "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1",
           "ABLAB_CACHE": str(folder / "cache"), "OMP_NUM_THREADS": "1"}
    # As a user runs them: not as an xdist worker of this run (child_env), and without this
    # suite's database or data root.
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
        if case.quiet:
            quiet = "ablab session" not in done.stdout if case.command.startswith("pytest") \
                else not done.stdout
            assert quiet, done.stdout
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
