"""Start-up time of the command-line program: how long a command takes when it has almost nothing to do.

Run alone: ``.venv/bin/python benchmarks/bench_cli.py [--runs R]``. Each command runs R times (default 7) in a
fresh process on a fresh store in a temporary folder; the median wall time is reported against the reference, a
bare ``python -c pass`` of the same interpreter, measured in the same run:

- ``help``: ``bigalpha --help``;
- ``version``: ``bigalpha version``;
- ``kill_switch_status``: ``bigalpha kill-switch status --json`` (loads the settings and opens the store: what the
  emergency commands do before they act).

Prints one JSON document: each median in seconds, and its ratio to the reference.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROGRAM = str(Path(sys.executable).with_name("bigalpha"))
COMMANDS = {
    "help": [PROGRAM, "--help"],
    "version": [PROGRAM, "version"],
    "kill_switch_status": [PROGRAM, "kill-switch", "status", "--json"],
}


def _median_s(command: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "BIGALPHA__STORE__DATA_DIR": folder}
        reference = _median_s([sys.executable, "-c", "pass"], args.runs, env)
        result: dict[str, float] = {"runs": args.runs, "reference_python_s": round(reference, 3)}
        for name, command in COMMANDS.items():
            median = _median_s(command, args.runs, env)
            result[f"{name}_s"] = round(median, 3)
            result[f"{name}_vs_reference"] = round(median / reference, 1)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
