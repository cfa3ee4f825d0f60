#!/bin/sh
# One command for issue 8's numbers: generate the benchmark repositories (bench/out/, once)
# and time kumolint beside detect-secrets and the read floor. Extra arguments go to
# peers_bench.py (--quick: only the 300-file repository; --runs N; --big-runs N).
set -eu
cd "$(dirname "$0")/.."
python3 bench/peers_bench.py --markdown bench/out/peers.md "$@"
