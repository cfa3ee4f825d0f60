"""The core issue's speed numbers: hook path, whole repo, import time (median of 5 runs).

    python3 bench/core_bench.py [--runs 5]

Generates the 300-file repo with bench/generate.py into bench/out/, then times whole
processes (interpreter start included), the way pre-commit and CI run kumolint.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(HERE.parent)}


def timed(cmd: list[str], cwd: Path, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False, env=ENV)
        samples.append(time.perf_counter() - start)
        if result.returncode > 1:
            raise SystemExit(f"{cmd} failed ({result.returncode}): {result.stderr[-500:]!r}")
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    repo = HERE / "out" / "repo300"
    if not repo.exists():
        generate(repo, files=300, seed=7, blob_kib=0)
    kumolint = [sys.executable, "-m", "kumolint", "check", "--quiet", "--no-cache"]
    help_text = subprocess.run(
        [sys.executable, "-m", "kumolint", "check", "--help"],
        capture_output=True,
        text=True,
        env=ENV,
    ).stdout
    if "--no-cache" not in help_text:
        kumolint.remove("--no-cache")
    rows = [
        ("python3 -c pass", timed([sys.executable, "-c", "pass"], repo, args.runs)),
        (
            "python3 -c 'import kumolint.cli'",
            timed([sys.executable, "-c", "import kumolint.cli"], repo, args.runs),
        ),
        (
            "kumolint check deploy/site0/kumomta.env (hook path, 1 file)",
            timed([*kumolint, "deploy/site0/kumomta.env"], repo, args.runs),
        ),
        ("kumolint check (whole 300-file repo)", timed(kumolint, repo, args.runs)),
    ]
    print(f"median of {args.runs} runs, wall clock, interpreter start included")
    for name, seconds in rows:
        print(f"{seconds * 1000:8.1f} ms  {name}")


if __name__ == "__main__":
    main()
