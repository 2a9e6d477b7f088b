"""CUDA slots for pytest-xdist workers: one per GPU, or one per MIG instance where a GPU is
split. A CUDA process sees a single MIG instance, the one CUDA_VISIBLE_DEVICES names by UUID,
so `nvidia-smi -L | wc -l` (GPU and MIG lines alike) miscounts and every worker would share
the first instance. `python -m ablab.train.slots` prints the slots' UUIDs, comma-separated."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import MutableMapping

SLOTS_ENV = "ABLAB_CUDA_SLOTS"  # comma-separated UUIDs, one per xdist worker
UUID = re.compile(r"\(UUID: ([^)]+)\)")
# What CUDA_VISIBLE_DEVICES takes: a GPU's index, or a GPU or MIG UUID as nvidia-smi -L lists it.
SLOT = re.compile(r"\d+|(GPU|MIG)-[A-Za-z0-9/-]+")


def slots(listing: str) -> list[str]:
    """UUIDs from `nvidia-smi -L`: each MIG instance of a MIG-enabled GPU, else the GPU."""
    gpus: list[tuple[str, list[str]]] = []
    for line in listing.splitlines():
        found = UUID.search(line)
        if found is None:
            continue
        if line.lstrip().startswith("MIG") and gpus:
            gpus[-1][1].append(found.group(1))
        elif line.startswith("GPU"):
            gpus.append((found.group(1), []))
    return [uuid for gpu, migs in gpus for uuid in (migs or [gpu])]


def parse_slots(text: str) -> list[str]:
    """ABLAB_CUDA_SLOTS as a list ([] unset or empty); a ValueError for an entry that is no
    GPU index or UUID: CUDA would hide every GPU from the worker, which would train on the CPU
    (--ablab-device auto) or fail each cell (cuda)."""
    if not text.strip():
        return []
    listed = text.split(",")
    for slot in listed:
        if not SLOT.fullmatch(slot):
            raise ValueError(f"{SLOTS_ENV}={text}: {slot!r} is not a GPU index or a GPU- or "
                             "MIG- UUID; give them comma-separated, without spaces, as "
                             "`python -m ablab.train.slots` prints them")
    return listed


def pin_worker(env: MutableMapping[str, str]) -> None:
    """Under pytest-xdist with ABLAB_CUDA_SLOTS set, worker gwN sees only slot N mod count:
    called before CUDA initialises, so the worker's `cuda:0` is its own GPU or MIG slice."""
    listed = parse_slots(env.get(SLOTS_ENV, ""))
    worker = env.get("PYTEST_XDIST_WORKER", "").removeprefix("gw")
    if listed and worker.isdigit():
        env["CUDA_VISIBLE_DEVICES"] = listed[int(worker) % len(listed)]


def main() -> int:
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True,
                                 check=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError) as error:
        print(f"ablab.train.slots: nvidia-smi -L failed: {error}", file=sys.stderr)
        return 2
    found = slots(listing)
    if not found:
        print("ablab.train.slots: nvidia-smi lists no GPU", file=sys.stderr)
        return 2
    print(",".join(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
