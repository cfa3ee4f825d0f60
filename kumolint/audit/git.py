"""Streaming access to a repository's history and objects, through the `git` command only."""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

NULL_ID = "0" * 40
_CHUNK = 1 << 16
_READ = 1 << 20


class GitError(Exception):
    """git is missing, or the directory is not a repository (a usage problem)."""


@dataclass(frozen=True, slots=True)
class Change:
    """One path changed by a commit: `blob` is None when the commit deleted it."""

    mode: str
    blob: str | None
    path: str


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    date: int  # author date, seconds since the epoch


@dataclass(frozen=True, slots=True)
class Blob:
    """One object read back: `data` is None when it was skipped or unreadable (`problem`)."""

    oid: str
    size: int
    data: bytes | None
    problem: str = ""


def git(root: Path, *args: str, check: bool = True) -> str:
    """A git command's stdout (UTF-8, replaced); GitError when git fails and `check`."""
    try:
        done = subprocess.run(
            ["git", "-c", "core.quotepath=off", *args], cwd=root, capture_output=True
        )
    except FileNotFoundError:
        raise GitError("the audit needs git on PATH") from None
    if check and done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(detail[-1] if detail else f"git {args[0]} failed ({done.returncode})")
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else ""


def log(root: Path, revisions: Sequence[str]) -> Iterator[tuple[Commit, list[Change]]]:
    """Every commit reachable from `revisions`, oldest first, with the blobs it introduced.

    `--raw` lists object ids only (no diff is computed, unlike `git log -p`); merges are
    compared with their first parent, so a blob made while resolving a merge is seen too.
    """
    command = [
        "git",
        "-c",
        "core.quotepath=off",
        "log",
        "--reverse",
        "--topo-order",
        "--raw",
        "--no-renames",
        "--no-abbrev",
        "--diff-merges=first-parent",
        "-z",
        "--format=%x01%H %at",
        *revisions,
        "--",
    ]
    # stderr goes to a file: a pipe could fill up and stall git while we read stdout
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=errors)
        assert process.stdout is not None
        yield from _commits(process.stdout)
        process.stdout.close()
        if process.wait() != 0:
            errors.seek(0)
            detail = errors.read().decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git log failed: {detail[-1] if detail else process.returncode}")


def _commits(stream: IO[bytes]) -> Iterator[tuple[Commit, list[Change]]]:
    commit: Commit | None = None
    changes: list[Change] = []
    meta: bytes | None = None
    for token in _tokens(stream):
        token = token.lstrip(b"\n")
        if meta is not None:
            fields = meta[1:].split(b" ")
            blob = fields[3].decode("ascii")
            mode = fields[1].decode("ascii")
            changes.append(Change(mode, None if blob == NULL_ID else blob, os.fsdecode(token)))
            meta = None
        elif token.startswith(b"\x01"):
            if commit is not None:
                yield commit, changes
            sha, _, date = token[1:].decode("ascii").partition(" ")
            commit, changes = Commit(sha, int(date or 0)), []
        elif token.startswith(b":"):
            meta = token
    if commit is not None:
        yield commit, changes


def tree(root: Path, revision: str) -> dict[str, tuple[str, str]]:
    """path -> (mode, blob id) of every file in `revision`'s tree."""
    raw = subprocess.run(
        ["git", "ls-tree", "-r", "-z", "--full-tree", revision],
        cwd=root,
        capture_output=True,
        check=False,
    ).stdout
    entries: dict[str, tuple[str, str]] = {}
    for entry in raw.split(b"\0"):
        if entry:
            meta, _, path = entry.partition(b"\t")
            mode, _kind, oid = meta.decode("ascii").split(" ")
            entries[os.fsdecode(path)] = (mode, oid)
    return entries


def read_blobs(root: Path, oids: Iterable[str], max_size: int) -> Iterator[Blob]:
    """Each object's bytes, in order, through `git cat-file --batch`.

    Objects over `max_size` are drained, not kept. A missing or corrupt object is reported
    (`problem`) and the walk goes on: when git dies on a corrupt object it is restarted for
    the objects after it.
    """
    pending = list(oids)
    start = 0
    while start < len(pending):
        process = subprocess.Popen(
            ["git", "cat-file", "--batch"],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert process.stdin is not None
        assert process.stdout is not None
        writer = threading.Thread(target=_feed, args=(process.stdin, pending[start:]), daemon=True)
        writer.start()
        for oid in pending[start:]:
            blob = _read_one(process.stdout, oid, max_size)
            start += 1
            yield blob
            if blob.problem.startswith("unreadable"):
                break  # git died on this object: start again after it
        process.stdout.close()
        process.kill()
        process.wait()
        writer.join()


def _feed(stream: IO[bytes], oids: Sequence[str]) -> None:
    try:
        for oid in oids:
            stream.write(f"{oid}\n".encode("ascii"))
        stream.close()
    except (BrokenPipeError, ValueError, OSError):
        pass  # git stopped reading (a corrupt object); the reader restarts it


def _read_one(stream: IO[bytes], oid: str, max_size: int) -> Blob:
    header = stream.readline()
    if not header:
        return Blob(oid, 0, None, "unreadable (corrupt object; git stopped)")
    fields = header.split()
    if len(fields) != 3:
        return Blob(oid, 0, None, "missing or corrupt object")
    size = int(fields[2])
    kept = bytearray()
    remaining = size
    while remaining:
        chunk = stream.read(min(remaining, _READ))
        if not chunk:
            return Blob(oid, size, None, "unreadable (corrupt object; git stopped)")
        remaining -= len(chunk)
        if size <= max_size:
            kept += chunk
    terminator = stream.read(1)
    if terminator != b"\n" or (size <= max_size and not _matches(oid, kept)):
        # git wrote fewer or other bytes than the header announced: the stream is out of step
        return Blob(oid, size, None, "unreadable (corrupt object: content does not match its id)")
    if size > max_size:
        return Blob(oid, size, None, f"larger than max-file-size ({max_size} bytes)")
    return Blob(oid, size, bytes(kept))


def _matches(oid: str, data: bytes | bytearray) -> bool:
    """Whether `data` hashes to `oid` as a blob (SHA-1, or SHA-256 repositories)."""
    digest = hashlib.sha256() if len(oid) == 64 else hashlib.sha1()
    digest.update(b"blob %d\0" % len(data))
    digest.update(data)
    return digest.hexdigest() == oid


def _tokens(stream: IO[bytes]) -> Iterator[bytes]:
    rest = b""
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        parts = (rest + chunk).split(b"\0")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest
