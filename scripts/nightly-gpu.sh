#!/usr/bin/env bash
# The nightly GPU run without GitHub Actions (for cron): the same steps as
# .github/workflows/nightly.yml. Every step runs; the exit code is 1 when any step failed
# (the gate exits 1 on a regression), and results/ holds REPORT.md, gate.md and the database.
# Usage: scripts/nightly-gpu.sh [--bootstrap] [SEEDS]   (from the repository root; see
# docs/regression-gate.md). --bootstrap: the first night on a machine, with no GPU baseline
# yet: train, then write results/baselines/full-gpu.csv instead of comparing with it.
set -uo pipefail

bootstrap=0
if [[ "${1:-}" == "--bootstrap" ]]; then
  bootstrap=1
  shift
fi
seeds="${1:-5}"
export ABLAB_DB="sqlite:///results/nightly.db"  # the report and the gate read this session
db="$ABLAB_DB"
baseline="results/baselines/full-gpu.csv"
bench_store="${BENCH_STORE:-/srv/ablab/benchmarks}"
status=0
step() {  # run a step, remember a failure, carry on
  echo "== $*"
  "$@" || status=1
}

# The full profile is meant for a GPU: when the GPU is gone (driver lost, card out), refuse
# rather than spend the night training it on the CPU.
if ! slots="$(python -m ablab.train.slots)" || ! python -c \
    "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  echo "nightly-gpu: error: no CUDA device on this machine; refusing to run the full profile" \
       "on the CPU (check nvidia-smi and the driver)" >&2
  exit 2
fi
export ABLAB_CUDA_SLOTS="$slots"  # one pytest-xdist worker per GPU or MIG slice
workers="$(tr ',' '\n' <<< "$slots" | wc -l)"

mkdir -p results
rm -f results/nightly.db
if [[ ! -f "$baseline" && "$bootstrap" == 0 ]]; then
  echo "$baseline is missing; on the first night run scripts/nightly-gpu.sh --bootstrap" \
       "(docs/regression-gate.md)" >&2
  exit 2
fi
step python -m pytest ablations --ablab-profile full --ablab-seeds "$seeds" \
  --ablab-device auto -n "$workers" --ablab-db "$db" \
  --junitxml results/junit.xml
if [[ "$bootstrap" == 1 ]]; then
  step python -m ablab export --db "$db" --out "$baseline"
  echo "wrote $baseline: review it and commit it; later nights compare with it"
else
  step python -m ablab compare --baseline "$baseline" --db "$db" --fail-missing \
    --out results/gate.md
fi
step python -m ablab report --db "$db" --out results
bench=(benchmarks --ablab-device cuda --benchmark-storage "file://$bench_store"
       --benchmark-autosave --benchmark-json results/benchmarks.json)
if compgen -G "$bench_store/*/0001_*.json" > /dev/null; then
  bench+=(--benchmark-compare=0001 --benchmark-compare-fail=median:15%)
fi
step python -m pytest "${bench[@]}"
exit "$status"
