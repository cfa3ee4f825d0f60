"""Discovery and reading: git or walk, symlinks, special files, encodings, skips."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kumolint.config import Config
from kumolint.discover import find_root, repo_files
from kumolint.facts.keys import PemBlock
from kumolint.model import InlineIgnore, ParseError
from kumolint.scan import build_model, decode, inline_ignores
from tests.conftest import RULES, lint, write_tree

KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_git_lists_tracked_and_untracked_but_not_ignored(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            ".gitignore": "ignored.key\n",
            "tracked.key": KEY,
            "untracked.key": KEY,
            "ignored.key": KEY,
            "bin/run.sh": "#!/bin/sh\n",
        },
    )
    (tmp_path / "bin/run.sh").chmod(0o755)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".gitignore", "tracked.key", "bin/run.sh")
    files, skipped = repo_files(tmp_path)
    assert [f.path for f in files] == [".gitignore", "bin/run.sh", "tracked.key", "untracked.key"]
    assert {f.path: f.executable for f in files}["bin/run.sh"] is True
    assert skipped == []


def test_walk_outside_git_skips_vcs_dirs(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.key": KEY, ".hg/store.key": KEY, "sub/b.key": KEY})
    files, _ = repo_files(tmp_path)
    assert [f.path for f in files] == ["a.key", "sub/b.key"]


def test_symlinks_are_never_followed(tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "outside", {"secret.key": KEY})
    repo = write_tree(tmp_path / "repo", {".kumolint.toml": "", "real.key": KEY})
    (repo / "out.key").symlink_to(outside / "secret.key")
    (repo / "alias.key").symlink_to(repo / "real.key")
    (repo / "loop.key").symlink_to(repo / "loop.key")
    (repo / "outdir").symlink_to(outside, target_is_directory=True)
    files, skipped = repo_files(repo)
    assert [f.path for f in files] == [".kumolint.toml", "real.key"]
    reasons = {s.path: s.reason for s in skipped}
    assert reasons["out.key"] == "symlink outside the repository"
    assert reasons["outdir"] == "symlink outside the repository"
    assert reasons["loop.key"] == "symlink loop or dangling symlink"
    assert reasons["alias.key"].startswith("symlink (its target is scanned")
    findings = lint(repo)
    assert [(f.span.path, f.rule_id) for f in findings] == [("real.key", "KL106")]


def test_fifo_is_skipped_not_opened(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.key": KEY})
    os.mkfifo(tmp_path / "pipe.key")
    files, skipped = repo_files(tmp_path)
    assert [f.path for f in files] == ["a.key"]
    assert [(s.path, s.reason) for s in skipped] == [("pipe.key", "not a regular file")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file_is_skipped(tmp_path: Path) -> None:  # pragma: no cover - non-root
    write_tree(tmp_path, {"a.key": KEY})
    (tmp_path / "a.key").chmod(0)
    files, _ = repo_files(tmp_path)
    scan = build_model(tmp_path, files, Config())
    assert scan.model.skipped[0].reason.startswith("cannot be read")


def test_binary_and_oversized_files_are_skipped_with_reasons(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {"blob.key": b"\x89PNG\r\n\x1a\n\0\0\0" + KEY.encode(), "big.key": KEY + "A" * 2000},
    )
    files, skipped = repo_files(tmp_path)
    scan = build_model(tmp_path, files, Config(max_file_size=1000), skipped=skipped)
    assert {(s.path, s.reason) for s in scan.model.skipped} == {
        ("blob.key", "binary"),
        ("big.key", "larger than max-file-size (1000 bytes)"),
    }
    assert scan.model.of(PemBlock) == ()


def test_irrelevant_files_are_never_opened(tmp_path: Path) -> None:
    write_tree(tmp_path, {"notes.bin": "x", "a.key": KEY})
    opened: list[str] = []

    def reader(path: str) -> bytes:
        opened.append(path)
        return (tmp_path / path).read_bytes()

    files, _ = repo_files(tmp_path)
    build_model(tmp_path, files, Config(), reader=reader)
    assert opened == ["a.key"]


@pytest.mark.parametrize(
    ("data", "text", "error_at"),
    (
        pytest.param(b"\xef\xbb\xbfA=1\n", "A=1\n", None, id="bom"),
        pytest.param(b"A=1\r\nB=2\r\n", "A=1\nB=2\n", None, id="crlf"),
        pytest.param(b"A=1\nB=\xff\xfe2\n", "A=1\nB=\ufffd\ufffd2\n", (2, 3), id="invalid utf-8"),
        pytest.param(b"", "", None, id="empty"),
    ),
)
def test_decode(data: bytes, text: str, error_at: tuple[int, int] | None) -> None:
    decoded, error = decode("x.env", data)
    assert decoded == text
    if error_at is None:
        assert error is None
    else:
        assert isinstance(error, ParseError)
        assert (error.span.line, error.span.column) == error_at


def test_invalid_utf8_is_kl001_and_the_rest_is_still_read(tmp_path: Path) -> None:
    write_tree(tmp_path, {"k.key": b"\xff\n" + KEY.encode()})
    findings = lint(tmp_path)
    assert [(f.rule_id, f.span.line) for f in findings] == [("KL001", 1), ("KL106", 2)]


def test_huge_and_long_line_files_finish(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {"a.key": "A" * 4_000_000 + "\n" + KEY, "b.yml": "k: " + "v" * 3_000_000 + "\n"},
    )
    findings = lint(tmp_path)
    assert [(f.span.path, f.span.line, f.rule_id) for f in findings] == [("a.key", 2, "KL106")]


@pytest.mark.parametrize(
    ("text", "expected"),
    (
        pytest.param("A=1 # kumolint: ignore[KL101]\n", [(("KL101",), "", 1)], id="same line"),
        pytest.param(
            "# kumolint: ignore[KL101, KL102] -- rotated, template only\nA=1\n",
            [(("KL101", "KL102"), "rotated, template only", 2)],
            id="line above with reason",
        ),
        pytest.param("x = 1 -- kumolint: ignore[KL201]\n", [(("KL201",), "", 1)], id="lua"),
        pytest.param("x 1; // kumolint:ignore[KL302]\n", [(("KL302",), "", 1)], id="slashes"),
        pytest.param("A=1 # kumolint: ignore\n", [], id="no blanket form"),
        pytest.param("A=1 # kumolint: ignore[all]\n", [(("all",), "", 1)], id="unknown code kept"),
    ),
)
def test_inline_ignores(text: str, expected: list[tuple[tuple[str, ...], str, int]]) -> None:
    found = [(i.rule_ids, i.reason, i.line) for i in inline_ignores("f", text)]
    assert found == expected


def test_inline_ignore_suppresses_only_its_rule_and_line(tmp_path: Path) -> None:
    key = KEY.replace("-----\n", "----- # kumolint: ignore[KL106] -- test key\n", 1)
    write_tree(tmp_path, {"a.key": key, "b.key": KEY.replace("PRIVATE", "RSA PRIVATE")})
    findings = lint(tmp_path, {"KL106": RULES["KL106"]})
    assert [f.span.path for f in findings] == ["b.key"]


def test_find_root_prefers_nearest_marker(tmp_path: Path) -> None:
    write_tree(tmp_path, {".git/HEAD": "", "sub/.kumolint.toml": "", "sub/deep/x.env": ""})
    assert find_root(tmp_path / "sub/deep/x.env") == (tmp_path / "sub").resolve()
    assert find_root(tmp_path / "other") == tmp_path.resolve()


def test_ignores_are_facts_in_the_model(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.key": "# kumolint: ignore[KL106]\n" + KEY})
    files, _ = repo_files(tmp_path)
    (ignore,) = build_model(tmp_path, files, Config()).model.of(InlineIgnore)
    assert (ignore.rule_ids, ignore.line) == (("KL106",), 2)
