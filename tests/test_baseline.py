"""`--write-baseline` / `--baseline`: stable across line moves, leak-free, deterministic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kumolint import baseline
from kumolint.cli import main
from tests.conftest import write_tree

BODY = "Zq9XkV3tLw8RpN2mYc7HsD4fGj6KaB1eUo5iTx0WnQvPzS"
KEY = f"-----BEGIN PRIVATE KEY-----\n{BODY}\n-----END PRIVATE KEY-----\n"
RSA = f"-----BEGIN RSA PRIVATE KEY-----\n{BODY[::-1]}\n-----END RSA PRIVATE KEY-----\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(
        tmp_path / "repo",
        {".kumolint.toml": "", "keys/dkim.key": KEY, "keys/tls/server.key": RSA},
    )


def _write(repo: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    target = repo / ".kumolint-baseline.json"
    assert main(["check", str(repo), "--write-baseline", str(target)]) == 0
    assert "wrote 2 baseline entries (2 findings)" in capsys.readouterr().err
    return target


def test_written_baseline_has_no_lines_no_values_and_is_deterministic(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _write(repo, capsys)
    first = target.read_bytes()
    document = json.loads(first)
    assert document["version"] == 1
    assert [(e["rule"], e["path"]) for e in document["entries"]] == [
        ("KL106", "keys/dkim.key"),
        ("KL106", "keys/tls/server.key"),
    ]
    for entry in document["entries"]:
        assert set(entry) == {"rule", "path", "fingerprint", "name"}
    text = first.decode()
    assert BODY[:8] not in text
    assert BODY[::-1][:8] not in text
    assert "line" not in text
    _write(repo, capsys)
    assert target.read_bytes() == first


def test_baselined_findings_pass_and_survive_a_50_line_move(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _write(repo, capsys)
    assert main(["check", str(repo), "--baseline", str(target)]) == 0
    (repo / "keys/dkim.key").write_text("# comment\n" * 50 + KEY, encoding="utf-8")
    assert main(["check", str(repo), "--baseline", str(target)]) == 0
    out = capsys.readouterr()
    assert out.out == ""
    assert "0 findings" in out.err


def test_a_new_finding_of_the_same_rule_in_the_same_file_is_reported(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _write(repo, capsys)
    # the same label again: same content key, one more than the baseline accepted
    (repo / "keys/dkim.key").write_text(KEY + "\n" + KEY, encoding="utf-8")
    assert main(["check", str(repo), "--baseline", str(target)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "keys/dkim.key:5:1: KL106 [error] PRIVATE KEY block committed"
    ]
    # a different key in the same file: a different fingerprint
    (repo / "keys/dkim.key").write_text(KEY + RSA, encoding="utf-8")
    assert main(["check", str(repo), "--baseline", str(target)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "keys/dkim.key:4:1: KL106 [error] RSA PRIVATE KEY block committed"
    ]


def test_stale_entries_are_listed_and_fail(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _write(repo, capsys)
    (repo / "keys/tls/server.key").unlink()
    assert main(["check", str(repo), "--baseline", str(target)]) == 0
    assert "stale" not in capsys.readouterr().err
    assert main(["check", str(repo), "--baseline", str(target), "--report-stale-baseline"]) == 1
    err = capsys.readouterr().err
    stale = [line for line in err.splitlines() if "stale baseline entry" in line]
    assert len(stale) == 1
    assert "KL106 keys/tls/server.key" in stale[0]
    # a scoped run does not call entries outside its scope stale
    keys_dir = str(repo / "keys/dkim.key")
    assert main(["check", keys_dir, "--baseline", str(target), "--report-stale-baseline"]) == 0


def test_reasons_are_kept_and_shown(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _write(repo, capsys)
    document = json.loads(target.read_text())
    document["entries"][0]["reason"] = "rotated 2026-01, removal tracked in OPS-12"
    target.write_text(json.dumps(document))
    _write(repo, capsys)  # rewriting keeps the hand-written reason
    assert [e.reason for e in baseline.load(target)] == [
        "rotated 2026-01, removal tracked in OPS-12",
        "",
    ]
    assert main(["check", str(repo), "--baseline", str(target), "--show-suppressed"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        "keys/dkim.key:1:1: KL106 [error] PRIVATE KEY block committed"
        " [suppressed external: rotated 2026-01, removal tracked in OPS-12]"
    )


def test_sarif_marks_baselined_results_external(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _write(repo, capsys)
    assert main(["check", str(repo), "--baseline", str(target), "--format", "sarif"]) == 0
    results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    assert len(results) == 2
    assert all(r["suppressions"][0]["kind"] == "external" for r in results)


@pytest.mark.parametrize(
    ("content", "message"),
    (
        ("{", "not valid JSON"),
        ('{"version": 9, "entries": []}', "not a kumolint baseline"),
        ('{"version": 1, "entries": [{"rule": "KL106"}]}', "`path` must be a non-empty string"),
        (
            '{"version": 1, "entries": [{"rule": "K", "path": "p", "fingerprint": "f", "x": 1}]}',
            "unknown key 'x'",
        ),
    ),
)
def test_malformed_baseline_is_a_usage_error(
    repo: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    target = repo / "bad.json"
    target.write_text(content)
    assert main(["check", str(repo), "--baseline", str(target)]) == 2
    assert message in capsys.readouterr().err


def test_missing_baseline_and_stale_without_baseline(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(repo), "--baseline", str(repo / "none.json")]) == 2
    assert "baseline file not found" in capsys.readouterr().err
    assert main(["check", str(repo), "--report-stale-baseline"]) == 2


def test_a_scoped_rewrite_keeps_the_entries_it_cannot_see(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _write(repo, capsys)
    before = target.read_text()
    only_dkim = str(repo / "keys/dkim.key")
    assert main(["check", only_dkim, "--quiet", "--write-baseline", str(target)]) == 0
    assert target.read_text() == before
    assert (
        main(["check", str(repo), "--quiet", "--ignore", "KL106", "--write-baseline", str(target)])
        == 0
    )
    assert target.read_text() == before
