"""`kumolint check --staged` lints the index, not the working tree."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kumolint.cli import main
from tests.conftest import write_tree

BODY = "Zq9XkV3tLw8RpN2mYc7HsD4fGj6KaB1eUo5iTx0WnQvPzS"
KEY = f"-----BEGIN PRIVATE KEY-----\n{BODY}\n-----END PRIVATE KEY-----\n"
PUB = f"-----BEGIN PUBLIC KEY-----\n{BODY}\n-----END PUBLIC KEY-----\n"


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = write_tree(tmp_path / "repo", {".kumolint.toml": "", "keys/dkim.pub": PUB})
    git(root, "init", "-q")
    return root


def test_staged_key_is_caught_even_when_the_working_tree_is_clean(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tree(repo, {"keys/dkim.key": KEY})
    git(repo, "add", "keys/dkim.key")  # a repo with no commit yet: the index is all there is
    (repo / "keys/dkim.key").write_text("# removed from the working tree only\n")
    assert main(["check", "--staged", "--root", str(repo)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "keys/dkim.key:1:1: KL106 [error] PRIVATE KEY block committed"
    ]
    assert main(["check", "--root", str(repo)]) == 0  # the working tree alone looks clean


def test_unstaged_key_is_not_reported(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "init")
    write_tree(repo, {"keys/dkim.key": KEY})  # untracked, never staged
    assert main(["check", "--staged", "--root", str(repo)]) == 0
    assert capsys.readouterr().out == ""


def test_only_staged_paths_are_reported(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(repo, {"keys/old.key": KEY})
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "legacy key already committed")
    write_tree(repo, {"keys/new.key": KEY})
    git(repo, "add", "keys/new.key")
    assert main(["check", "--staged", "--root", str(repo)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "keys/new.key:1:1: KL106 [error] PRIVATE KEY block committed"
    ]


def test_staged_removal_of_a_key_passes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(repo, {"keys/old.key": KEY})
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "key")
    git(repo, "rm", "-q", "--cached", "keys/old.key")
    assert main(["check", "--staged", "--root", str(repo)]) == 0
    assert capsys.readouterr().out == ""


def test_odd_path_names_and_large_blobs(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = os.fsdecode(b"keys/caf\xe9 key.key")
    write_tree(repo, {odd: KEY})
    (repo / ".kumolint.toml").write_text("max-file-size = 200\n")
    write_tree(repo, {"keys/big.key": KEY + "#" * 400})
    git(repo, "add", ".")
    assert main(["check", "--staged", "--root", str(repo), "--format", "json"]) == 1
    out = capsys.readouterr().out
    assert '"path": "keys/caf\\\\xe9 key.key"' in out  # the odd byte spelled out in JSON
    assert '"path": "keys/big.key"' in out  # listed as skipped, not linted
    assert "larger than max-file-size (200 bytes)" in out


def test_outside_a_git_repository_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(tmp_path / "plain", {".kumolint.toml": ""})
    assert main(["check", "--staged", "--root", str(root)]) == 2
    assert "--staged needs a git work tree" in capsys.readouterr().err
