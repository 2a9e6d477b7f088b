#!/usr/bin/env bash
# The nightly GPU run without GitHub Actions (for cron): the same steps as
# .github/workflows/nightly.yml. Every step runs; the exit code is 1 when any step failed
# (the gate exits 1 on a regression), and results/ holds REPORT.md, gate.md and the database.
# Usage: scripts/nightly-gpu.sh [SEEDS]   (from the repository root; see notes/README-gate.md)
set -uo pipefail

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

mkdir -p results
rm -f results/nightly.db
if [[ ! -f "$baseline" ]]; then
  echo "$baseline is missing; produce it on this machine first (notes/README-gate.md)" >&2
  exit 2
fi
step python -m pytest ablations --ablab-profile full --ablab-seeds "$seeds" \
  --ablab-device auto -n "$(nvidia-smi -L | wc -l)" --ablab-db "$db" \
  --junitxml results/junit.xml
step python -m ablab compare --baseline "$baseline" --db "$db" --fail-missing \
  --out results/gate.md
step python -m ablab report --db "$db" --out results
bench=(benchmarks --ablab-device cuda --benchmark-storage "file://$bench_store"
       --benchmark-autosave --benchmark-json results/benchmarks.json)
if compgen -G "$bench_store/*/0001_*.json" > /dev/null; then
  bench+=(--benchmark-compare=0001 --benchmark-compare-fail=median:15%)
fi
step python -m pytest "${bench[@]}"
exit "$status"
