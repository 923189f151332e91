"""Mutation testing of the policy domain (`make mutate`): mutmut changes app/domain one small
step at a time (a threshold by one, `<=` to `<`, a rounding mode, a string) and runs the unit
tier against each mutant. Prints the score and every surviving mutant by function;
docs/testing.md "Mutation testing" says which survivors are equivalent and why. Not part of
`make test`."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = [sys.executable, "-m", "mutmut"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--skip-run", action="store_true", help="report the last run only")
    args = parser.parse_args()
    if not args.skip_run:
        subprocess.run(
            [*MUTMUT, "run", "--max-children", str(args.workers)],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    subprocess.run([*MUTMUT, "export-cicd-stats"], cwd=ROOT, check=True, capture_output=True)
    stats = json.loads((ROOT / "mutants" / "mutmut-cicd-stats.json").read_text())
    results = subprocess.run(
        [*MUTMUT, "results"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    survivors = [line.strip() for line in results.splitlines() if line.strip()]
    killed, total = stats["killed"], stats["total"]
    print(
        f"mutants: {total}; killed {killed} ({killed / total:.1%}); survived"
        f" {stats['survived']}; no test {stats['no_tests']}; timeout {stats['timeout']}"
    )
    by_function = Counter(s.split("__mutmut_")[0] for s in survivors)
    for function, count in by_function.most_common():
        print(f"  {count:4d}  {function}")
    print("show one: .venv/bin/mutmut show <name>")


if __name__ == "__main__":
    main()
