"""Run every benchmark in turn: `make bench`."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = [
    "bench.figures",
    "bench.load",
    "bench.roster_import",
    "bench.eod",
    "bench.reports",
    "bench.lists",
    "bench.messages",
]

if __name__ == "__main__":
    for module in BENCHMARKS:
        print(f"== {module}", flush=True)
        subprocess.run([sys.executable, "-m", module, *sys.argv[1:]], check=True)
