#!/usr/bin/env bash
# The GPU goal of seed batching (issue 14): K = 8 seeds of an MLP trained as one stacked model
# at least 5x faster than one after another. One command on a machine with CUDA, from the
# repository root (ABLAB_DATA adds S3's MNIST models; without it they are skipped):
#
#     scripts/gpu-seed-batching.sh [cuda:0]
#
# Prints `<model> K=<k> sequential/batched <ratio>` per model and K; exits 1 when an MLP's
# ratio at K = 8 is below 5.
set -euo pipefail
cd "$(dirname "$0")/.."
device="${1:-cuda}"
python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device')"
exec python benchmarks/seed_batching.py --device "$device" --ks 1 4 8 --repeats 5 --min-ratio 5
