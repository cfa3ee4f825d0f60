"""The command line: exit codes, scope, selection, config errors, output contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kumolint import __version__
from kumolint.cli import main
from kumolint.config import Config
from kumolint.discover import repo_files
from kumolint.scan import build_model
from tests.conftest import write_tree

KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
BROKEN_YAML = "a: [1\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(
        tmp_path / "repo",
        {".kumolint.toml": "", "keys/dkim.key": KEY, "deploy/vars.yml": BROKEN_YAML},
    )


def _scanned(root: Path) -> int:
    files, _ = repo_files(root)
    return len(build_model(root, files, Config(), cache=False).model.parsed)


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, Any]:
    code = main(argv)
    return code, json.loads(capsys.readouterr().out)


def test_findings_exit_1_and_text_lines(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(repo)]) == 1
    out = capsys.readouterr()
    assert out.out.splitlines() == [
        "deploy/vars.yml:1:1: KL001 [warning] YAML: did not find expected ',' or ']'",
        "keys/dkim.key:1:1: KL106 [error] PRIVATE KEY block committed",
    ]
    assert f"2 findings (1 error, 1 warning) in {_scanned(repo)} files scanned" in out.err


def test_json_contract(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, document = _json(capsys, ["check", str(repo), "--format", "json"])
    assert code == 1
    assert document["version"] == 1
    assert document["tool"] == {"name": "kumolint", "version": __version__}
    findings = document["findings"]
    key = findings[1]
    assert key == {
        "rule": "KL106",
        "name": "private-key-committed",
        "severity": "error",
        "path": "keys/dkim.key",
        "line": 1,
        "column": 1,
        "end_line": 3,
        "end_column": 26,
        "message": "PRIVATE KEY block committed",
        "fingerprint": key["fingerprint"],
        "related": [],
        "commit": None,
    }
    assert len(key["fingerprint"]) == 20
    assert document["summary"] == {
        "files_scanned": _scanned(repo),
        "files_skipped": 0,
        "skipped": [],
        "findings": 2,
        "by_severity": {"error": 1, "warning": 1},
    }


def test_fingerprint_survives_moving_lines(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, before = _json(capsys, ["check", str(repo), "--format", "json", "--select", "KL106"])
    (repo / "keys/dkim.key").write_text("\n" * 50 + KEY, encoding="utf-8")
    _, after = _json(capsys, ["check", str(repo), "--format", "json", "--select", "KL106"])
    (first,) = before["findings"]
    (moved,) = after["findings"]
    assert moved["line"] == first["line"] + 50
    assert moved["fingerprint"] == first["fingerprint"]


@pytest.mark.parametrize(
    ("argv", "expected_rules"),
    (
        pytest.param(["--select", "KL1"], {"KL106"}, id="select prefix"),
        pytest.param(["--ignore", "KL106"], {"KL001"}, id="ignore code"),
        pytest.param(
            ["--select", "KL106", "--extend-select", "KL0"], {"KL001", "KL106"}, id="extend"
        ),
        pytest.param(
            ["--select", "KL", "--ignore", "KL1", "--extend-select", "KL106"],
            {"KL001", "KL106"},
            id="longest prefix wins",
        ),
    ),
)
def test_selection(
    repo: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected_rules: set[str]
) -> None:
    _, document = _json(capsys, ["check", str(repo), "--format", "json", *argv])
    assert {f["rule"] for f in document["findings"]} == expected_rules


@pytest.mark.parametrize(
    ("argv", "code"),
    (
        pytest.param(["--fail-on", "error", "--select", "KL001"], 0, id="warning below fail-on"),
        pytest.param(["--fail-on", "warning", "--select", "KL001"], 1, id="warning at fail-on"),
        pytest.param(["--exit-zero"], 0, id="exit-zero"),
        pytest.param(["--select", "KL2"], 0, id="nothing selected fires"),
    ),
)
def test_exit_codes(
    repo: Path, capsys: pytest.CaptureFixture[str], argv: list[str], code: int
) -> None:
    assert main(["check", str(repo), *argv]) == code


def test_scope_reports_only_given_files(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(repo / "keys/dkim.key")]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "keys/dkim.key:1:1: KL106 [error] PRIVATE KEY block committed"
    ]
    assert main(["check", str(repo / "deploy")]) == 1
    assert capsys.readouterr().out.startswith("deploy/vars.yml:1:1: KL001")


def test_output_file(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.json"
    assert main(["check", str(repo), "--format", "json", "--output", str(target)]) == 1
    assert capsys.readouterr().out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["summary"]["findings"] == 2


@pytest.mark.parametrize(
    ("config", "message"),
    (
        pytest.param("colour = 1\n", "colour: unknown key", id="unknown key"),
        pytest.param('select = "KL1"\n', "select: expected a list of strings", id="wrong type"),
        pytest.param('fail-on = "fatal"\n', "fail-on: expected one of", id="bad severity"),
        pytest.param('select = ["E501"]\n', "not a rule code", id="bad code"),
        pytest.param("[rules.KL106]\nmax = 3\n", "unknown option 'max'", id="bad rule option"),
        pytest.param("[roles]\nbanana = []\n", "roles.banana: unknown role", id="bad role"),
        pytest.param('mta-ips = ["mx1"]\n', "entry 1 is not an IP address", id="bad ip"),
        pytest.param("select = [\n", "invalid TOML", id="broken toml"),
    ),
)
def test_config_errors_exit_2(
    repo: Path, capsys: pytest.CaptureFixture[str], config: str, message: str
) -> None:
    (repo / ".kumolint.toml").write_text(config, encoding="utf-8")
    assert main(["check", str(repo)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert ".kumolint.toml" in err


def test_pyproject_config_and_local_file_wins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(
        tmp_path,
        {
            ".git/HEAD": "",
            "pyproject.toml": '[tool.kumolint]\nignore = ["KL106"]\n',
            "keys/dkim.key": KEY,
        },
    )
    assert main(["check", str(root)]) == 0
    (root / ".kumolint.toml").write_text('select = ["KL"]\n', encoding="utf-8")
    assert main(["check", str(root)]) == 1


def test_per_file_ignores_and_exclude(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / ".kumolint.toml").write_text(
        '[per-file-ignores]\n"keys/*" = ["KL1"]\n', encoding="utf-8"
    )
    assert main(["check", str(repo), "--select", "KL106"]) == 0
    (repo / ".kumolint.toml").write_text('exclude = ["keys/**"]\n', encoding="utf-8")
    assert main(["check", str(repo), "--select", "KL106"]) == 0
    (repo / ".kumolint.toml").write_text('[rules.KL106]\nseverity = "note"\n', encoding="utf-8")
    assert main(["check", str(repo), "--select", "KL106"]) == 0  # notes are below fail-on
    assert "[note]" in capsys.readouterr().out


def test_usage_errors_exit_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(repo / "missing.env")]) == 2
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--select", "E501"])
    assert exit_info.value.code == 2
    assert main(["explain", "KL999"]) == 2


def test_rules_and_explain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    table = capsys.readouterr().out
    assert "KL106  private-key-committed" in table
    assert main(["explain", "kl106"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("# KL106 private-key-committed")
    assert "## Why is this bad?" in page


def test_internal_error_exits_3_without_leaking(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kumolint import engine

    def explode(*args: object, **kwargs: object) -> object:
        raise ValueError("the secret is hunter2-9f2c61d0a7b8")

    monkeypatch.setattr(engine, "run", explode)
    assert main(["check", str(repo)]) == 3
    err = capsys.readouterr().err
    assert "ValueError" in err
    assert "hunter2" not in err


def test_python_dash_m_entry_point(repo: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kumolint", "check", str(repo), "--select", "KL106"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "KL106" in result.stdout


def test_cache_and_jobs_flags(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(repo), "--no-cache", "--jobs", "1"]) == 1
    serial = capsys.readouterr().out
    assert not (repo / ".kumolint_cache").exists()
    assert main(["check", str(repo), "--jobs", "2"]) == 1
    assert capsys.readouterr().out == serial
    assert (repo / ".kumolint_cache").is_dir()
    assert main(["check", str(repo)]) == 1  # warm cache
    assert capsys.readouterr().out == serial
    with pytest.raises(SystemExit):
        main(["check", str(repo), "--jobs", "0"])
