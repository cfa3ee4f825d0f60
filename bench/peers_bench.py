"""kumolint side by side with detect-secrets and the read floor, as ratios (issue 8).

    python3 bench/peers_bench.py [--out bench/out] [--runs 5] [--big-runs 3] [--quick]

Generates the repositories with bench/generate.py (once; delete bench/out/ to regenerate),
then times whole processes, interpreter start included, the way pre-commit and CI run them:

* repo300: the 300-file deployment repository (a third relevant), the hook path's home;
* repo20k: 20,000 files, 1 in 20 relevant, plus 2,000 random 64 KiB blobs (~150 MB);
* scale-1k / scale-2k: 1,000 / 2,000 relevant files with as many irrelevant ones, to show
  that the cost follows relevant bytes, not the number of irrelevant files.

Each row: median wall time, peak RSS (GNU time's %M when /usr/bin/time exists, else the
children's ru_maxrss), and files/s (files in `git ls-files` / median). "cache cold" deletes
`.kumolint_cache/` before every run; "warm" runs after one unmeasured run. The hook rows
edit the file(s) before every run (a new comment line), so exactly those files miss the
cache, as after a real edit.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

# Installed packages have their bytecode compiled; a PYTHONDONTWRITEBYTECODE inherited from
# the shell would make every run recompile every module and measure the compiler instead.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
GNU_TIME = Path("/usr/bin/time")
SCRIPTS = Path(sysconfig.get_path("scripts"))
HOOK_FILE = "deploy/site0/kumomta.env"


@dataclass
class Row:
    repo: str
    name: str
    command: str
    seconds: float | None  # None: timed out
    cpu_seconds: float  # user + system, median; robust when the machine is shared
    rss_mib: float
    files: int
    runs: int

    @property
    def files_per_second(self) -> float:
        return self.files / self.seconds if self.seconds else 0.0


def _script(name: str) -> list[str]:
    """A console script of this interpreter (not a pyenv shim, which adds a shell start)."""
    candidate = SCRIPTS / name
    if candidate.exists():
        return [str(candidate)]
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed")
    return [found]


def run_once(cmd: list[str], cwd: Path, timeout: float) -> tuple[float | None, float, float]:
    """(wall seconds or None on timeout, CPU seconds, peak RSS MiB) of one run of `cmd`."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        wrapped = cmd
        if GNU_TIME.exists():
            wrapped = [str(GNU_TIME), "-f", "%M %U %S", "-o", report.name, *cmd]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        try:
            result = subprocess.run(
                wrapped, cwd=cwd, env=ENV, capture_output=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            return None, 0.0, 0.0
        elapsed = time.perf_counter() - start
        if result.returncode not in (0, 1, 3) and "detect-secrets" not in " ".join(cmd):
            raise SystemExit(f"{cmd} failed ({result.returncode}): {result.stderr[-800:]!r}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        # without GNU time: the largest child so far, exact only when this run is the largest
        kib = float(after.ru_maxrss)
        if GNU_TIME.exists():
            fields = (report.read().strip().splitlines() or [""])[-1].split()
            if len(fields) == 3:
                kib = float(fields[0])
    return elapsed, cpu, kib / 1024


def measure(
    repo: Path,
    label: str,
    name: str,
    cmd: list[str],
    runs: int,
    *,
    before_each: Callable[[int], None] | None = None,
    warm: bool = False,
    timeout: float = 600.0,
    files: int,
) -> Row:
    if warm:
        if before_each:
            before_each(-1)
        run_once(cmd, repo, timeout)
    samples: list[float] = []
    cpus: list[float] = []
    peaks: list[float] = []
    for index in range(runs):
        if before_each:
            before_each(index)
        seconds, cpu, rss = run_once(cmd, repo, timeout)
        if seconds is None:
            shown = " ".join(cmd)
            print(f"  {label:10} {name}: timed out after {timeout:.0f} s", flush=True)
            return Row(label, name, shown, None, 0.0, 0.0, files, index + 1)
        samples.append(seconds)
        cpus.append(cpu)
        peaks.append(rss)
    row = Row(
        label,
        name,
        " ".join(cmd),
        statistics.median(samples),
        statistics.median(cpus),
        max(peaks),
        files,
        runs,
    )
    print(
        f"  {label:10} {row.seconds * 1000:9.1f} ms wall {row.cpu_seconds * 1000:9.1f} ms cpu "  # type: ignore[operator]
        f"{row.rss_mib:7.1f} MiB  {name}",
        flush=True,
    )
    return row


def snapshot(out: Path) -> str:
    """Copy the committed kumolint package (HEAD) aside, so that edits in the working tree
    during the run (and their effect on the cache's code version) cannot skew it."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=HERE.parent, capture_output=True, text=True
    ).stdout.strip()
    target = out / f"kumolint-{head}"
    if not (target / "kumolint").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", "HEAD", "kumolint"],
            cwd=HERE.parent,
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return str(target)


def _repo(out: Path, name: str, **options: int) -> Path:
    path = out / name
    if not (path / ".git").exists():
        shutil.rmtree(path, ignore_errors=True)
        print(f"generating {path} {options}", flush=True)
        files, seed, blob_kib = options.pop("files"), options.pop("seed"), options.pop("blob_kib")
        generate(path, files, seed, blob_kib, **options)
    return path


def _tracked(repo: Path) -> list[str]:
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=repo, capture_output=True, check=True
    ).stdout
    return [p for p in listing.decode().split("\0") if p]


def _size_mib(repo: Path, paths: list[str]) -> float:
    return sum((repo / p).stat().st_size for p in paths) / (1 << 20)


def _clear_cache(repo: Path) -> Callable[[int], None]:
    def clear(_: int) -> None:
        shutil.rmtree(repo / ".kumolint_cache", ignore_errors=True)

    return clear


def _edit(repo: Path, paths: list[str]) -> Callable[[int], None]:
    """Append a fresh comment line to each of `paths` (restored by `_restore`)."""
    originals = {p: (repo / p).read_bytes() for p in paths}

    def edit(index: int) -> None:
        for path, data in originals.items():
            (repo / path).write_bytes(data + f"# edit {index} {time.time_ns()}\n".encode())

    edit.originals = originals  # type: ignore[attr-defined]
    return edit


def _restore(repo: Path, edit: Callable[[int], None]) -> None:
    for path, data in edit.originals.items():  # type: ignore[attr-defined]
        (repo / path).write_bytes(data)


def _relevant(paths: list[str], count: int) -> list[str]:
    """`count` relevant files of mixed kinds, in a fixed order."""
    from kumolint.parsers import load_parsers, parsers_for

    parsers = load_parsers()
    chosen = [p for p in paths if parsers_for(p, parsers) and not p.endswith(".md")]
    chosen.sort(key=lambda p: (p.count("/"), p))
    if HOOK_FILE in chosen:
        chosen.remove(HOOK_FILE)
        chosen.insert(0, HOOK_FILE)
    return chosen[:count]


def _check_help() -> str:
    return subprocess.run(
        [sys.executable, "-m", "kumolint", "check", "--help"],
        capture_output=True,
        text=True,
        env=ENV,
        check=False,
    ).stdout


def bench_repo(label: str, repo: Path, runs: int, peers: bool, peer_timeout: float) -> list[Row]:
    python = sys.executable
    kumolint = [python, "-m", "kumolint", "check", "--quiet", "--format", "json"]
    paths = _tracked(repo)
    files = len(paths)
    twenty = _relevant(paths, 20)
    print(f"{label}: {files} files, {_size_mib(repo, paths):.1f} MiB tracked", flush=True)
    rows: list[Row] = []
    floor = "git ls-files -z | xargs -0 cat > /dev/null"

    def add(name: str, cmd: list[str], **kw: object) -> None:
        rows.append(measure(repo, label, name, cmd, runs, files=files, **kw))  # type: ignore[arg-type]

    add("read floor: " + floor, ["sh", "-c", floor])
    add("python3 -c pass", [python, "-c", "pass"])
    add("python3 -c 'import kumolint.cli'", [python, "-c", "import kumolint.cli"])
    clear = _clear_cache(repo)
    add("kumolint whole repo, cache cold", kumolint, before_each=clear)
    if "--jobs" in _check_help():  # once the CLI has it: the serial baseline of the same scan
        add(
            "kumolint whole repo, cache cold, --jobs 1",
            [*kumolint, "--jobs", "1"],
            before_each=clear,
        )
    add("kumolint whole repo, cache warm", kumolint, warm=True)
    one, many = _edit(repo, twenty[:1]), _edit(repo, twenty)
    try:
        add(
            "kumolint hook, 1 edited file, cache warm",
            [*kumolint, HOOK_FILE],
            before_each=one,
            warm=True,
        )
        add(
            "kumolint hook, 1 edited file, cache cold",
            [*kumolint, HOOK_FILE],
            before_each=lambda i: (one(i), clear(i)),
        )  # type: ignore[func-returns-value]
        add(
            "kumolint hook, 20 edited files, cache warm",
            [*kumolint, *twenty],
            before_each=many,
            warm=True,
        )
    finally:
        _restore(repo, many)
    if peers:
        hook = _script("detect-secrets-hook")
        add("detect-secrets-hook, 1 file", [*hook, HOOK_FILE])
        add("detect-secrets-hook, 20 files", [*hook, *twenty])
        scan = [*_script("detect-secrets"), "scan", "--all-files"]
        rows.append(
            measure(
                repo,
                label,
                "detect-secrets scan --all-files",
                scan,
                max(1, min(runs, 3)),
                files=files,
                timeout=peer_timeout,
            )
        )
    return rows


def _ratio(rows: list[Row], ours: str, theirs: str) -> str:
    by_name = {r.name: r for r in rows}
    a, b = by_name.get(ours), by_name.get(theirs)
    if a is None or b is None or a.seconds is None:
        return "n/a"
    if b.seconds is None:
        return f"{a.seconds:.2f} s vs timeout"
    cpu = f"{a.cpu_seconds / b.cpu_seconds:.2f}x" if b.cpu_seconds else "-"
    return f"{a.seconds / b.seconds:.2f}x | {cpu}"


def report(rows: list[Row]) -> str:
    lines = [
        f"machine: {platform.platform()}, nproc {os.cpu_count()}, "
        f"affinity {len(os.sched_getaffinity(0))}, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} at the end",
        f"kumolint code: {ENV.get('PYTHONPATH')}",
        "",
        "| repo | command | median wall | median CPU | peak RSS | files/s | runs |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        wall = "timeout" if r.seconds is None else f"{r.seconds * 1000:.1f} ms"
        name = r.name.replace("|", "\\|")
        lines.append(
            f"| {r.repo} | {name} | {wall} | {r.cpu_seconds * 1000:.1f} ms | {r.rss_mib:.1f} MiB "
            f"| {r.files_per_second:,.0f} | {r.runs} |"
        )
    lines += [
        "",
        "| ratio (kumolint / other, lower is better) | wall | CPU |",
        "|---|---:|---:|",
    ]
    for label in dict.fromkeys(r.repo for r in rows):
        mine = [r for r in rows if r.repo == label]
        pairs = [
            ("kumolint hook, 1 edited file, cache warm", "detect-secrets-hook, 1 file"),
            ("kumolint hook, 1 edited file, cache cold", "detect-secrets-hook, 1 file"),
            ("kumolint hook, 20 edited files, cache warm", "detect-secrets-hook, 20 files"),
            ("kumolint whole repo, cache cold", "detect-secrets scan --all-files"),
            ("kumolint whole repo, cache warm", "detect-secrets scan --all-files"),
            (
                "kumolint whole repo, cache cold",
                "read floor: git ls-files -z | xargs -0 cat > /dev/null",
            ),
            (
                "kumolint whole repo, cache warm",
                "read floor: git ls-files -z | xargs -0 cat > /dev/null",
            ),
        ]
        for ours, theirs in pairs:
            value = _ratio(mine, ours, theirs)
            if value != "n/a":
                shown = f"{label}: {ours} / {theirs}".replace("|", "\\|")
                lines.append(f"| {shown} | {value} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--big-runs", type=int, default=3)
    parser.add_argument("--peer-timeout", type=float, default=120.0)
    parser.add_argument("--quick", action="store_true", help="only the 300-file repository")
    parser.add_argument("--markdown", type=Path, help="also write the tables here")
    parser.add_argument(
        "--live", action="store_true", help="time the working tree instead of a copy of HEAD"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    code = str(HERE.parent) if args.live else snapshot(args.out)
    ENV["PYTHONPATH"] = code
    sys.path.insert(0, code)
    print(f"kumolint code: {code}", flush=True)
    rows: list[Row] = []
    small = _repo(args.out, "repo300", files=300, seed=7, blob_kib=0)
    rows += bench_repo("repo300", small, args.runs, True, args.peer_timeout)
    if not args.quick:
        big = _repo(
            args.out,
            "repo20k",
            files=20000,
            seed=7,
            blob_kib=64,
            relevant_every=20,
            blob_every=10,
        )
        rows += bench_repo("repo20k", big, args.big_runs, True, args.peer_timeout)
        for label, count in (("scale-1k", 2000), ("scale-2k", 4000)):
            repo = _repo(args.out, label, files=count, seed=7, blob_kib=0, relevant_every=2)
            files = len(_tracked(repo))
            print(f"{label}: {files} files, {count // 2} relevant", flush=True)
            rows.append(
                measure(
                    repo,
                    label,
                    "kumolint whole repo, cache cold",
                    [sys.executable, "-m", "kumolint", "check", "--quiet", "--format", "json"],
                    args.big_runs,
                    before_each=_clear_cache(repo),
                    files=files,
                )
            )
    text = report(rows)
    print()
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
