"""A repository full of hostile files: the CLI finishes in bounded time and memory, reports
every file it skips with the reason in the JSON summary, and lints every other file."""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, write_tree

KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
HANG_GUARD_SECONDS = 120
MEMORY_LIMIT = 2 << 30  # address space; a runaway alias expansion would blow through it
ODD_NAME = b"odd\nname\xff.key"
IS_ROOT = os.geteuid() == 0


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inner.env", "PING8_WEBHOOK_TOKEN=x\n")
    return buffer.getvalue()


def _png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\0"))
        + chunk(b"IEND", b"")
    )


def _alias_bomb() -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        below = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{below}]")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus") / "repo"
    outside = root.parent / "outside.env"
    outside.write_text("PING8_WEBHOOK_TOKEN=outside\n", encoding="utf-8")
    write_tree(
        root,
        {
            ".kumolint.toml": "",
            "keys/dkim.key": KEY,
            "deploy/kumomta.env": "KUMOPROXY_PORT=5000\n",
            "deploy/deep.yml": "[" * 10_000 + "]" * 10_000 + "\n",
            "deploy/deep-map.yml": "{a: " * 10_000 + "1" + "}" * 10_000 + "\n",
            "deploy/bomb.yml": _alias_bomb(),
            "archive/.env": _zip(),
            "images/.env": _png(),
        },
    )
    (root / "links").mkdir()
    os.symlink("loop-b.key", root / "links/loop-a.key")
    os.symlink("loop-a.key", root / "links/loop-b.key")
    os.symlink(outside, root / "links/outside.env")
    os.symlink("..", root / "links/up")  # a directory loop, inside the repository
    os.mkfifo(root / "deploy/pipe.env")  # reading it would block forever
    with open(root / "deploy/huge.env", "wb") as huge:
        huge.truncate(50 * 1024 * 1024)  # sparse: 50 MB without writing them
    (root / os.fsdecode(ODD_NAME)).write_text(KEY, encoding="utf-8")
    if not IS_ROOT:  # pragma: no cover - root reads everything
        write_tree(root, {"deploy/unreadable.env": "PING8_WEBHOOK_TOKEN=x\n"})
        (root / "deploy/unreadable.env").chmod(0)
    return root


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@pytest.fixture(scope="module")
def run(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "XDG_CACHE_HOME": str(tmp_path_factory.mktemp("user-cache")),
    }
    environment.pop("GITHUB_ACTIONS", None)
    result = subprocess.run(
        [sys.executable, "-m", "kumolint", "check", "--format", "json", str(corpus)],
        capture_output=True,
        env=environment,
        timeout=HANG_GUARD_SECONDS,
        preexec_fn=_limit_memory,
        check=False,
    )
    assert result.returncode == 1, result.stderr.decode(errors="replace")[-3000:]
    assert b"Traceback" not in result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _reasons(run: dict[str, Any]) -> dict[str, str]:
    return {entry["path"]: entry["reason"] for entry in run["summary"]["skipped"]}


def test_each_skip_is_reported_with_its_reason(run: dict[str, Any]) -> None:
    reasons = _reasons(run)
    assert reasons["links/loop-a.key"] == "symlink loop or dangling symlink"
    assert reasons["links/loop-b.key"] == "symlink loop or dangling symlink"
    assert reasons["links/outside.env"] == "symlink outside the repository"
    assert reasons["links/up"].startswith("symlink (its target is scanned")
    assert reasons["deploy/pipe.env"] == "not a regular file"
    assert reasons["deploy/huge.env"].startswith("larger than max-file-size")
    assert reasons["archive/.env"] == "binary"
    assert reasons["images/.env"] == "binary"
    if not IS_ROOT:  # pragma: no cover - root reads everything
        assert reasons["deploy/unreadable.env"].startswith("cannot be read")
    assert run["summary"]["files_skipped"] == len(reasons)


def test_every_other_file_is_linted(run: dict[str, Any]) -> None:
    reasons = _reasons(run)
    for linted in ("keys/dkim.key", "deploy/kumomta.env", "deploy/deep.yml", "deploy/bomb.yml"):
        assert linted not in reasons
    keys = sorted(f["path"] for f in run["findings"] if f["rule"] == "KL106")
    readable = ODD_NAME.decode("utf-8", "backslashreplace")  # how JSON spells the odd bytes
    assert keys == sorted(["keys/dkim.key", readable])
    # the key file, the odd name, the env file and the three YAML files
    assert run["summary"]["files_scanned"] >= 6


def test_pathological_yaml_is_a_parse_error_or_nothing(run: dict[str, Any]) -> None:
    for finding in run["findings"]:
        if finding["path"].startswith("deploy/") and finding["path"].endswith(".yml"):
            assert finding["rule"] == "KL001", finding
            assert finding["line"] >= 1


def test_the_odd_name_is_reported_under_its_own_name(run: dict[str, Any]) -> None:
    (finding,) = [f for f in run["findings"] if f["path"].startswith("odd")]
    assert "\n" in finding["path"]  # JSON escapes it; the path is not mangled


def test_the_symlink_target_outside_is_never_read(corpus: Path) -> None:
    """The outside file holds a would-be finding; a read would need following the link."""
    outside = corpus.parent / "outside.env"
    before = outside.stat().st_atime_ns
    subprocess.run(
        [sys.executable, "-m", "kumolint", "check", "--quiet", "--format", "json", str(corpus)],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=HANG_GUARD_SECONDS,
        check=False,
    )
    assert outside.stat().st_atime_ns == before or "noatime" in _mount_options(outside)


def _mount_options(path: Path) -> str:
    try:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8")
    except OSError:
        return ""
    best = ("", "")
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) >= 4 and str(path).startswith(fields[1]) and len(fields[1]) > len(best[0]):
            best = (fields[1], fields[3])
    return best[1]


def _build(root: Path, paths: list[str]) -> Any:
    from kumolint.config import Config
    from kumolint.model import RepoFile
    from kumolint.scan import build_model

    return build_model(root, [RepoFile(p) for p in paths], Config(), cache=False)


def test_a_file_swapped_for_a_symlink_after_discovery_is_not_followed(tmp_path: Path) -> None:
    """Discovery saw a regular file; by the time it is read, it links out of the repo."""
    outside = write_tree(tmp_path / "outside", {"real.key": KEY}) / "real.key"
    root = tmp_path / "repo"
    root.mkdir()
    os.symlink(outside, root / "swapped.key")
    scan = _build(root, ["swapped.key"])
    assert [(s.path, s.reason) for s in scan.model.skipped] == [
        ("swapped.key", "symlink (not followed)")
    ]
    assert scan.model.parsed == frozenset()


def test_a_file_swapped_for_a_fifo_after_discovery_does_not_hang(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    os.mkfifo(root / "pipe.key")

    def hung(signum: int, frame: Any) -> None:
        raise TimeoutError("reading a FIFO blocked")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(HANG_GUARD_SECONDS)
    try:
        scan = _build(root, ["pipe.key"])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert [(s.path, s.reason) for s in scan.model.skipped] == [("pipe.key", "not a regular file")]
