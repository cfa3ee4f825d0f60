"""`kumolint check --staged`: lint what is about to be committed, read from the git index.

The working tree may differ from the index (a populated env file half staged with
`git add -p`); the commit gets the index version, so that is what is linted. The whole-repo
model is built from the index too (every staged-or-committed file, at its index version);
findings are reported for the staged paths only. Blobs come from one `git cat-file --batch`
process, read lazily, so files no parser wants are never read.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeVar

from kumolint.discover import git_output, index_entries
from kumolint.model import RepoFile

T = TypeVar("T")
_CHUNK = 1 << 20


class StagedError(Exception):
    """Not a git work tree, or git failed (a usage problem: exit 2)."""


@dataclass
class Snapshot:
    """The index as a file list, the staged paths, and a reader of index blobs."""

    root: Path
    files: list[RepoFile]
    staged: set[str]
    blobs: dict[str, str]  # path -> blob id
    max_read: int
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def reader(self, path: str) -> bytes:
        """The index content of `path`; past `max_read` bytes only a prefix (then skipped)."""
        process = self._batch()
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write(self.blobs[path].encode("ascii") + b"\n")
        process.stdin.flush()
        header = process.stdout.readline().split()
        if len(header) != 3:
            raise OSError(f"git cat-file: missing object for {path!r}")
        size = int(header[2])
        data = _read_exactly(process.stdout, size, keep=self.max_read)
        process.stdout.read(1)  # the newline after each object
        return data

    def close(self) -> None:
        if self._process is not None:
            if self._process.stdin is not None:
                self._process.stdin.close()
            self._process.wait()
            self._process = None

    def _batch(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            self._process = subprocess.Popen(
                ["git", "cat-file", "--batch"],
                cwd=self.root,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        return self._process


def snapshot(root: Path, max_read: int) -> Snapshot:
    """Read the index of the repository at `root`; raises StagedError outside a work tree."""
    files: list[RepoFile] = []
    blobs: dict[str, str] = {}
    for entry in _checked(index_entries, root):
        if not entry.is_file or entry.stage not in (b"0", b"2"):
            continue  # a conflicted path is linted at "ours" (stage 2)
        blobs[entry.path] = entry.blob
        files.append(RepoFile(entry.path, entry.executable))
    names = _checked(
        git_output,
        root,
        "diff",
        "--cached",
        "--name-only",
        "-z",
        "--no-renames",
        "--diff-filter=d",
    )
    staged = {os.fsdecode(n) for n in names.split(b"\0") if n} & set(blobs)
    return Snapshot(root, sorted(files, key=lambda f: f.path), staged, blobs, max_read)


def _checked(run: Callable[..., T], root: Path, *args: str) -> T:
    """`run(root, *args)` with git's failures said as a StagedError."""
    try:
        return run(root, *args)
    except FileNotFoundError:
        raise StagedError("--staged needs git on PATH") from None
    except subprocess.CalledProcessError as error:
        detail = error.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = detail[-1] if detail else f"exit {error.returncode}"
        raise StagedError(f"--staged needs a git work tree at {root}: {reason}") from None


def _read_exactly(stream: IO[bytes], size: int, *, keep: int) -> bytes:
    kept = bytearray()
    remaining = size
    while remaining:
        chunk = stream.read(min(remaining, _CHUNK))
        if not chunk:
            raise OSError("git cat-file: truncated object")
        remaining -= len(chunk)
        if len(kept) < keep:
            kept += chunk[: keep - len(kept)]
    return bytes(kept)
