"""Benchmark `kumolint audit --history` against the floor `git log -p --all` on one repo.

    python3 bench/history_bench.py [--commits 2000] [--shape realistic|growing]
                                   [--keep DIR] [--breakdown]

Generates a deployment repository of COMMITS commits with git fast-import: `realistic` (the
default) has the file mix of bench/generate.py, 300 files with two rewritten per commit;
`growing` has six files (env, Lua policy, Nginx, YAML, docs) that each grow by a line per
commit, a stress test for the parsers. Both commit a private key and delete it later. Then
it times, in one run on the same repository:

- the floor: `git log -p --all > /dev/null` (what any history scanner must at least read);
- the audit: `python3 -m kumolint audit REPO --history --quiet` (process start included).

Prints both times, their ratio (target <= 3x) and the audit's peak memory (target <= 300 MB).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEY = (
    "-----BEGIN PRIVATE KEY-----\n"
    "Zq9XkV3tLw8RpN2mYc7HsD4fGj6KaB1eUo5iTx0WnQvPzSbench0000\n"
    "-----END PRIVATE KEY-----\n"
)


def _files(step: int, state: dict[str, list[str]]) -> dict[str, str]:
    """The files one commit changes: each commit appends to one or two files."""
    kind = step % 6
    if kind == 0:
        state["README.md"].append(f"- release note {step}")
    elif kind == 1:
        state["policy/init.lua"].append(
            f'kumo.on("smtp_server_message_received_{step}", function(msg)\n'
            f'  msg:set_meta("queue", "q{step % 7}")\nend)'
        )
    elif kind == 2:
        state["deploy/kumomta.env"].append(f"KUMO_SETTING_{step}=value-{step % 13}")
    elif kind == 3:
        state["nginx/conf.d/kumomta.conf"].insert(
            -1, f"  location /hook{step} {{ proxy_pass http://127.0.0.1:{8000 + step % 50}; }}"
        )
    elif kind == 4:
        state["deploy/vars.yml"].append(f"setting_{step}: {step}")
    else:
        state["docs/operations.md"].append(f"Step {step}: rotate logs.")
    changed = {
        (
            "README.md",
            "policy/init.lua",
            "deploy/kumomta.env",
            "nginx/conf.d/kumomta.conf",
            "deploy/vars.yml",
            "docs/operations.md",
        )[kind]
    }
    return {path: "\n".join(state[path]) + "\n" for path in changed}


def generate_realistic(target: Path, commits: int, files: int = 300, seed: int = 7) -> None:
    """The file mix of bench/generate.py (a third relevant: env files, policies, Nginx,
    Ansible, zones, Dockerfiles, scripts; the rest docs and code); every commit rewrites two
    files; a private key is committed at 1/4 of the history and deleted at 1/2."""
    import random

    sys.path.insert(0, str(ROOT / "bench"))
    from generate import IRRELEVANT, RELEVANT

    rng = random.Random(seed)

    def make(i: int) -> tuple[str, str]:
        builder = RELEVANT[(i // 3) % len(RELEVANT)] if i % 3 == 0 else IRRELEVANT[i % 2]
        return builder(rng, i)

    subprocess.run(["git", "init", "-q", "-b", "main", str(target)], check=True)
    stream: list[bytes] = []
    for step in range(commits):
        changed = dict(make(i) for i in range(files)) if step == 0 else {}
        if step:
            changed.update(make(rng.randrange(files)) for _ in range(2))
        if step == commits // 4:
            changed["keys/dkim/example.key"] = KEY
        stamp = 1_600_000_000 + step * 3600
        message = f"change {step}\n".encode()
        stream.append(b"commit refs/heads/main\n")
        stream.append(f"committer Bench <bench@example.com> {stamp} +0000\n".encode())
        stream.append(f"data {len(message)}\n".encode() + message)
        for path, text in changed.items():
            data = text.encode()
            stream.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        if step == commits // 2:
            stream.append(b"D keys/dkim/example.key\n")
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=target, input=b"".join(stream), check=True
    )
    subprocess.run(["git", "checkout", "-q", "main"], cwd=target, check=True)


def generate(target: Path, commits: int) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(target)], check=True)
    state: dict[str, list[str]] = {
        "README.md": ["# deploy"],
        "policy/init.lua": ['local kumo = require "kumo"'],
        "deploy/kumomta.env": ["PING8_WEBHOOK_URL=https://hooks.example.com/kumo"],
        "nginx/conf.d/kumomta.conf": ["server {", "  listen 443 ssl;", "}"],
        "deploy/vars.yml": ["kumomta_user: kumod"],
        "docs/operations.md": ["# operations"],
    }
    stream: list[bytes] = []
    for step in range(commits):
        files = _files(step, state) if step else {p: "\n".join(v) + "\n" for p, v in state.items()}
        if step == commits // 4:
            files["keys/dkim.key"] = KEY
        deleted = ["keys/dkim.key"] if step == commits // 2 else []
        stamp = 1_600_000_000 + step * 3600
        message = f"change {step}\n".encode()
        stream.append(b"commit refs/heads/main\n")
        stream.append(f"committer Bench <bench@example.com> {stamp} +0000\n".encode())
        stream.append(f"data {len(message)}\n".encode() + message)
        for path, text in files.items():
            data = text.encode()
            stream.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        for path in deleted:
            stream.append(f"D {path}\n".encode())
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=target, input=b"".join(stream), check=True
    )
    subprocess.run(["git", "checkout", "-q", "main"], cwd=target, check=True)


def _timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def breakdown(repo: Path) -> tuple[float, dict[str, float], int]:
    """In-process: the walk alone (git log --raw + cat-file of every routed version), then the
    time each parser spends on all those versions."""
    sys.path.insert(0, str(ROOT))
    from kumolint.audit import git
    from kumolint.parsers import load_parsers, parsers_for

    parsers = load_parsers()
    started = time.perf_counter()
    routed: dict[str, str] = {}
    for _commit, changes in git.log(repo, ["--all"]):
        for change in changes:
            if change.blob and change.blob not in routed and parsers_for(change.path, parsers):
                routed[change.blob] = change.path
    blobs = [(routed[b.oid], b.data) for b in git.read_blobs(repo, list(routed), 5 << 20)]
    walk = time.perf_counter() - started
    spent: dict[str, float] = {}
    for path, data in blobs:
        text = (data or b"").decode("utf-8", "replace")
        for chosen in parsers_for(path, parsers):
            began = time.perf_counter()
            for _fact in chosen.parse(path, text):
                pass
            spent[chosen.name] = spent.get(chosen.name, 0.0) + time.perf_counter() - began
    return walk, spent, len(blobs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="generate the repository here and keep it")
    parser.add_argument(
        "--shape",
        choices=("realistic", "growing"),
        default="realistic",
        help="realistic: 300 files, two rewritten per commit (default); growing: six files "
        "that each grow by one line per commit (a stress test for the parsers)",
    )
    parser.add_argument(
        "--breakdown", action="store_true", help="also time the walk alone and each parser"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        repo = args.keep or Path(scratch) / "repo"
        if not (repo / ".git").exists():
            if args.shape == "growing":
                generate(repo, args.commits)
            else:
                generate_realistic(repo, args.commits)
        env_python = [sys.executable, "-m", "kumolint", "audit", str(repo), "--history"]
        os.environ["PYTHONPATH"] = str(ROOT)
        _timed(["git", "log", "-p", "--all"], repo)  # warm the page cache for both
        audit = _timed([*env_python, "--quiet", "--exit-zero"], repo)
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        floor = _timed(["git", "log", "-p", "--all"], repo)
        print(f"commits: {args.commits} ({args.shape})")
        print(f"floor  git log -p --all > /dev/null: {floor:.2f} s")
        print(f"kumolint audit --history:            {audit:.2f} s")
        print(f"ratio: {audit / floor:.2f}x (target <= 3x)")
        print(f"peak memory: {peak_kb / 1024:.0f} MB (target <= 300 MB)")
        if args.breakdown:
            walk, spent, versions = breakdown(repo)
            print(
                f"walk only (git log --raw + cat-file, {versions} versions): {walk:.2f} s "
                f"= {walk / floor:.2f}x the floor"
            )
            for name, seconds in sorted(spent.items(), key=lambda item: -item[1]):
                print(f"  parser {name:<12} {seconds:6.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
