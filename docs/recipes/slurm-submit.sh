#!/usr/bin/env bash
# Submit a sharded ablab session to Slurm: N array tasks, then the gather once all ended.
# Usage: ABLAB_DB=postgresql://... docs/recipes/slurm-submit.sh [N]   (from the repo root)
set -euo pipefail

shards="${1:-4}"
here="$(dirname "$0")"
: "${ABLAB_DB:?set ABLAB_DB to the shared PostgreSQL URL}"
export ABLAB_SESSION="${ABLAB_SESSION:-slurm-$(date -u +%Y%m%d-%H%M%S)}"
mkdir -p results
array=$(sbatch --parsable --export=ALL --array="0-$((shards - 1))" "$here/slurm-shard.sbatch")
array="${array%%;*}"  # --parsable prints "jobid[;cluster]"
gather=$(sbatch --parsable --export=ALL --dependency="afterany:$array" \
  "$here/slurm-gather.sbatch")
echo "session $ABLAB_SESSION: shards job $array (array 0-$((shards - 1))), gather job ${gather%%;*}"
