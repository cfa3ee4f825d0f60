"""Which files exist: the repository root, and its files via `git ls-files` or a plain walk.

Symlinks are never followed: a symlink's target is scanned under its own path when it is
inside the repository, and never read when it is outside.
"""

from __future__ import annotations

import os
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kumolint.model import RepoFile, SkippedFile

ROOT_MARKERS = (".kumolint.toml", ".git")
WALK_SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".kumolint_cache", "__pycache__"})


def find_root(start: Path) -> Path:
    """The nearest directory at or above `start` holding `.kumolint.toml` or `.git`."""
    here = start.resolve()
    if not here.is_dir():
        here = here.parent
    for candidate in (here, *here.parents):
        if any((candidate / marker).exists() for marker in ROOT_MARKERS):
            return candidate
    return here


def repo_files(root: Path) -> tuple[list[RepoFile], list[SkippedFile]]:
    """Tracked and untracked-not-ignored files under `root` (repo-relative POSIX paths)."""
    listed = _git_files(root)
    if listed is None:
        listed = _walk(root)
    files: list[RepoFile] = []
    skipped: list[SkippedFile] = []
    base = os.fspath(root)
    for path, executable in sorted(listed.items()):
        reason = _skip_reason(root, base, path)
        if reason is None:
            files.append(RepoFile(path, executable))
        elif reason:
            skipped.append(SkippedFile(path, reason))
    return files, skipped


def _skip_reason(root: Path, base: str, path: str) -> str | None:
    """None for a regular file to consider; "" for one that vanished (not worth a mention)."""
    full = os.path.join(base, path)  # plain strings: this runs for every file in the repo
    try:
        info = os.lstat(full)
    except FileNotFoundError:
        return ""
    except OSError:
        return "cannot be read"
    if stat.S_ISLNK(info.st_mode):
        try:
            target = Path(full).resolve(strict=True)
        except (OSError, RuntimeError):
            return "symlink loop or dangling symlink"
        if not target.is_relative_to(root.resolve()):
            return "symlink outside the repository"
        return "symlink (its target is scanned under its own path)"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    return None


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One line of `git ls-files --stage`: what the index holds at `path`."""

    path: str
    mode: bytes  # b"100644", b"100755", b"120000" (symlink), b"160000" (submodule)
    blob: str
    stage: bytes  # b"0", or b"1"-b"3" for a conflicted path

    @property
    def executable(self) -> bool:
        return self.mode == b"100755"

    @property
    def is_file(self) -> bool:
        return self.mode not in (b"120000", b"160000")


def index_entries(root: Path) -> list[IndexEntry]:
    """The index of the git work tree at `root` (paths relative to `root`)."""
    entries = []
    for line in git_output(root, "ls-files", "-z", "--stage").split(b"\0"):
        if line:
            meta, _, raw_path = line.partition(b"\t")
            mode, blob, stage = meta.split(b" ")
            entries.append(IndexEntry(os.fsdecode(raw_path), mode, blob.decode("ascii"), stage))
    return entries


def git_output(root: Path, *args: str) -> bytes:
    """stdout of a git command run in `root` with raw (unquoted) paths; raises on failure."""
    return subprocess.run(
        ["git", "-c", "core.quotepath=off", *args],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout


def _git_files(root: Path) -> dict[str, bool] | None:
    """path -> executable bit, or None when `root` is not inside a git work tree."""
    try:
        tracked = index_entries(root)
        untracked = git_output(root, "ls-files", "-z", "--others", "--exclude-standard")
    except (OSError, subprocess.CalledProcessError):
        return None
    # a submodule is a commit, not a file of this repo; a symlink is judged by _skip_reason
    files = {e.path: e.executable for e in tracked if e.mode != b"160000"}
    for raw_path in untracked.split(b"\0"):
        if raw_path:
            path = os.fsdecode(raw_path)
            files.setdefault(path, os.access(root / path, os.X_OK))
    return files


def _walk(root: Path) -> dict[str, bool]:
    files: dict[str, bool] = {}
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in WALK_SKIP_DIRS)
        base = Path(directory)
        for name in filenames:
            full = base / name
            files[full.relative_to(root).as_posix()] = os.access(full, os.X_OK)
        # a symlinked directory is listed as a name, never entered
        for name in list(dirnames):
            if (base / name).is_symlink():
                dirnames.remove(name)
                files[(base / name).relative_to(root).as_posix()] = False
    return files
