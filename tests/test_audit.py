"""`kumolint audit` on real repositories built with git in a temporary directory."""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from kumolint.audit.progress import Progress
from kumolint.cli import main
from tests.conftest import write_tree

BODY = "Zq9XkV3tLw8RpN2mYc7HsD4fGj6KaB1eUo5iTx0WnQvPzS"
KEY = f"-----BEGIN PRIVATE KEY-----\n{BODY}\n-----END PRIVATE KEY-----\n"
RSA = f"-----BEGIN RSA PRIVATE KEY-----\n{BODY[::-1]}\n-----END RSA PRIVATE KEY-----\n"
ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def git(root: Path, *args: str, date: int = 1_700_000_000) -> str:
    env = {**os.environ, **ENV, "GIT_AUTHOR_DATE": f"{date} +0000"}
    env["GIT_COMMITTER_DATE"] = env["GIT_AUTHOR_DATE"]
    done = subprocess.run(
        ["git", "-c", "protocol.file.allow=always", *args],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    return done.stdout.decode().strip()


def commit(root: Path, files: dict[str, str | bytes], message: str, date: int) -> str:
    write_tree(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-qm", message, date=date)
    return git(root, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    return root


def audit(
    root: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, list[dict[str, object]], str]:
    code = main(["audit", str(root), "--history", "--format", "json", *extra])
    out = capsys.readouterr()
    assert BODY[:8] not in out.out + out.err
    return code, json.loads(out.out)["findings"], out.err


def test_a_removed_key_is_reported_once_with_the_commit_that_added_it(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    added = commit(repo, {"keys/dkim.key": KEY, "vars.yml": "a: 1\n"}, "add key", 1_600_000_000)
    commit(repo, {"vars.yml": "a: 2\n"}, "unrelated", 1_600_100_000)
    (repo / "keys/dkim.key").unlink()
    commit(repo, {}, "remove key", 1_600_200_000)
    code, findings, err = audit(repo, capsys)
    assert code == 1
    assert [(f["rule"], f["path"], f["commit"]) for f in findings] == [
        ("KL106", "keys/dkim.key", added)
    ]
    assert "0 still in HEAD" in err
    assert main(["audit", str(repo)]) == 0  # HEAD alone is clean
    capsys.readouterr()


def test_a_moved_key_is_one_finding_still_in_head(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    added = commit(repo, {"keys/dkim.key": KEY}, "add", 1_600_000_000)
    commit(repo, {"keys/dkim.key": "# header\n" * 50 + KEY}, "move", 1_600_100_000)
    assert main(["audit", str(repo), "--history"]) == 1
    out = capsys.readouterr()
    assert out.out.splitlines() == [
        "keys/dkim.key:1:1: KL106 [error] PRIVATE KEY block committed "
        f"(introduced in {added[:12]} 2020-09-13; still in HEAD)"
    ]


def test_branches_detached_head_and_since(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = commit(repo, {"vars.yml": "a: 1\n"}, "base", 1_600_000_000)
    git(repo, "checkout", "-q", "-b", "feature")
    on_branch = commit(repo, {"keys/branch.key": KEY}, "branch key", 1_600_100_000)
    git(repo, "checkout", "-q", "main")
    git(repo, "checkout", "-q", "--detach")
    detached = commit(repo, {"keys/tls.key": RSA}, "detached key", 1_600_200_000)
    code, findings, _ = audit(repo, capsys)
    assert code == 1
    assert {(f["path"], f["commit"]) for f in findings} == {
        ("keys/branch.key", on_branch),
        ("keys/tls.key", detached),
    }
    code, findings, _ = audit(repo, capsys, "--since", on_branch)
    assert [(f["path"], f["commit"]) for f in findings] == [("keys/tls.key", detached)]
    assert main(["audit", str(repo), "--history", "--since", "no-such-rev"]) == 2
    assert "not a commit" in capsys.readouterr().err
    assert base


def test_same_blob_in_many_commits_is_linted_once(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit(repo, {"keys/a.key": KEY}, "one", 1_600_000_000)
    for n in range(5):
        commit(repo, {"vars.yml": f"n: {n}\n"}, f"change {n}", 1_600_000_000 + n)
    commit(repo, {"keys/a.key": KEY + "\n"}, "touch", 1_600_100_000)
    assert main(["audit", str(repo), "--history"]) == 1
    err = capsys.readouterr().err
    # key versions: 2, vars.yml versions: 5
    assert "in 7 file versions of 7 commits" in err


def test_repository_without_commits(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(repo), "--history"]) == 0
    assert "no commits" in capsys.readouterr().err


def test_not_a_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(tmp_path), "--history"]) == 2
    assert "kumolint: error:" in capsys.readouterr().err


def test_shallow_clone(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    commit(repo, {"keys/old.key": KEY}, "old key", 1_600_000_000)
    (repo / "keys/old.key").unlink()
    commit(repo, {"vars.yml": "a: 1\n"}, "remove", 1_600_100_000)
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    code, findings, err = audit(shallow, capsys)
    assert (code, findings) == (0, [])
    assert "shallow clone" in err


def test_submodules_are_not_followed(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    git(inner, "init", "-q")
    commit(inner, {"keys/inner.key": KEY}, "inner key", 1_600_000_000)
    commit(repo, {"vars.yml": "a: 1\n"}, "base", 1_600_000_000)
    git(repo, "submodule", "add", "-q", f"file://{inner}", "vendor/inner")
    git(repo, "commit", "-qm", "submodule", date=1_600_100_000)
    code, findings, err = audit(repo, capsys)
    assert (code, findings) == (0, [])
    assert "1 submodule entries are not followed" in err


def test_a_corrupt_object_is_reported_and_the_walk_goes_on(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit(repo, {"a.yml": "a: 1\n", "keys/z.key": KEY}, "one", 1_600_000_000)
    oid = git(repo, "rev-parse", "HEAD:a.yml")
    loose = repo / ".git" / "objects" / oid[:2] / oid[2:]
    loose.chmod(0o644)
    loose.write_bytes(b"not zlib at all")
    code, findings, err = audit(repo, capsys)
    assert code == 1
    assert [f["path"] for f in findings] == ["keys/z.key"]
    assert "could not read a.yml" in err
    assert "continuing" in err


def test_an_object_shorter_than_its_header_is_never_read_as_the_next_file(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import zlib

    commit(repo, {"a.yml": "a: 1\n", "keys/z.key": KEY}, "one", 1_600_000_000)
    oid = git(repo, "rev-parse", "HEAD:a.yml")
    loose = repo / ".git" / "objects" / oid[:2] / oid[2:]
    loose.chmod(0o644)
    loose.write_bytes(zlib.compress(b"blob 200\0short"))  # git streams 6 bytes, not 200
    code, findings, err = audit(repo, capsys)
    assert code == 1
    assert [f["path"] for f in findings] == ["keys/z.key"]  # not blamed on a.yml
    assert "could not read a.yml" in err
    assert "corrupt object" in err
    assert "could not read keys/z.key" not in err  # read again after the broken one


def test_non_utf8_paths(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = os.fsdecode(b"keys/caf\xe9.key")
    commit(repo, {odd: KEY}, "odd", 1_600_000_000)
    code, findings, _ = audit(repo, capsys)
    assert code == 1
    # JSON spells the undecodable byte out (strict JSON readers reject lone surrogates)
    assert [f["path"] for f in findings] == ["keys/caf\\xe9.key"]


def test_a_100_mb_blob_is_skipped_with_a_reason(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = repo / "keys" / "big.key"
    big.parent.mkdir()
    with open(big, "wb") as handle:  # sparse: cheap to write, compresses to almost nothing
        handle.truncate(100 * 1024 * 1024)
    commit(repo, {"keys/real.key": KEY}, "big", 1_600_000_000)
    report = tmp_path / "audit.md"
    code, findings, _ = audit(repo, capsys, "--report", str(report))
    assert code == 1
    assert [f["path"] for f in findings] == ["keys/real.key"]
    text = report.read_text()
    assert "| `keys/big.key` |" in text
    assert "larger than max-file-size" in text


def test_markdown_report_has_a_rotation_checklist(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit(repo, {"keys/gone.key": KEY, "keys/kept.key": RSA}, "keys", 1_600_000_000)
    (repo / "keys/gone.key").unlink()
    commit(repo, {}, "remove one", 1_600_100_000)
    report = tmp_path / "audit.md"
    assert main(["audit", str(repo), "--history", "--quiet", "--report", str(report)]) == 1
    captured = capsys.readouterr()
    assert captured.err == ""  # --quiet: no progress, no summary
    text = report.read_text()
    assert BODY[:8] not in text
    assert BODY[::-1][:8] not in text
    checklist = [line for line in text.splitlines() if line.startswith("- [ ]")]
    assert len(checklist) == 2
    gone = next(line for line in checklist if "gone.key" in line)
    kept = next(line for line in checklist if "kept.key" in line)
    assert "only in history: rotate it, history keeps it" in gone
    assert "still in HEAD" in kept
    assert "2 findings: 2 errors, 0 warnings, 0 notes; 1 still in HEAD" in text


def test_unknown_report_suffix(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(repo), "--report", "audit.pdf"]) == 2
    assert "use a .md or .html" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal() -> None:
    terminal = _Terminal()
    bar = Progress(terminal)
    bar.phase("files", 4)
    bar.update(4)
    bar.close()
    assert terminal.getvalue().startswith("\rfiles    [")
    assert "4/4" in terminal.getvalue()
    assert terminal.getvalue().endswith("\n")
    for stream, enabled in ((io.StringIO(), True), (_Terminal(), False)):
        quiet = Progress(stream, enabled=enabled)
        quiet.phase("files", 4)
        quiet.update(4)
        quiet.close()
        assert stream.getvalue() == ""


def test_only_parsers_feeding_the_selected_rules_run_and_piggybacks_still_see_every_file(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kumolint.audit.relevance import needed_parsers
    from kumolint.parsers import load_parsers
    from tests.conftest import RULES

    parsers = load_parsers()
    needed = needed_parsers([RULES["KL106"]], parsers)
    assert "pem" in needed
    assert "lua" not in needed
    assert needed_parsers([RULES[i] for i in RULES if i != "KL002"], parsers) >= {"lua", "pem"}
    # a key pasted into a Lua policy: the Lua parser is not needed, the PEM scanner still runs
    commit(repo, {"policy/init.lua": f"local key = [[\n{KEY}]]\n"}, "key in lua", 1_600_000_000)
    code, findings, _ = audit(repo, capsys, "--select", "KL106")
    assert code == 1
    assert [(f["rule"], f["path"]) for f in findings] == [("KL106", "policy/init.lua")]


def test_audit_sarif_is_valid_and_names_the_commit(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.formatters.test_sarif import validate

    added = commit(repo, {"keys/dkim.key": KEY}, "add", 1_600_000_000)
    assert main(["audit", str(repo), "--history", "--quiet", "--format", "sarif"]) == 1
    out = capsys.readouterr().out
    assert BODY[:8] not in out
    document = json.loads(out)
    validate(document)
    result = document["runs"][0]["results"][0]
    assert result["properties"] == {"commit": added}
