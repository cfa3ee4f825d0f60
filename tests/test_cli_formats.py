"""Several `--format X --output F` pairs in one run, `--format auto`, and the job summary."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kumolint.cli import main
from tests.conftest import write_tree

BODY = "Zq9XkV3tLw8RpN2mYc7HsD4fGj6KaB1eUo5iTx0WnQvPzS"
KEY = f"-----BEGIN PRIVATE KEY-----\n{BODY}\n-----END PRIVATE KEY-----\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo", {".kumolint.toml": "", "keys/dkim.key": KEY})


def test_every_format_to_its_own_file_and_text_on_stdout(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    argv = ["check", str(repo)]
    for name in ("sarif", "junit", "gitlab", "json", "github"):
        argv += ["--format", name, "--output", str(out / name)]
    argv += ["--format", "text"]
    assert main(argv) == 1
    stdout = capsys.readouterr().out
    assert stdout == "keys/dkim.key:1:1: KL106 [error] PRIVATE KEY block committed\n"
    assert json.loads((out / "sarif").read_text())["runs"][0]["results"][0]["ruleId"] == "KL106"
    assert ET.fromstring((out / "junit").read_text()).find("testsuite") is not None
    assert json.loads((out / "gitlab").read_text())[0]["severity"] == "critical"
    assert json.loads((out / "json").read_text())["findings"][0]["rule"] == "KL106"
    assert (out / "github").read_text().startswith("::error file=keys/dkim.key,line=1,col=1")
    for produced in out.iterdir():
        assert BODY[:8] not in produced.read_text()


def test_auto_is_github_under_actions_and_writes_the_job_summary(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert main(["check", str(repo)]) == 1
    assert capsys.readouterr().out.startswith("::error file=keys/dkim.key,")
    text = summary.read_text()
    assert text.startswith("earlier step\n## kumolint\n")  # appended, never overwritten
    assert "keys/dkim.key:1" in text
    assert BODY[:8] not in text


def test_auto_is_text_outside_actions(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert main(["check", str(repo)]) == 1
    assert capsys.readouterr().out.startswith("keys/dkim.key:1:1: KL106")


def test_two_formats_on_stdout_is_a_usage_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(repo), "--format", "sarif", "--format", "text"]) == 2
    assert "only one --format may go to stdout" in capsys.readouterr().err


def test_plain_check_imports_no_audit_sarif_or_staged_code(repo: Path) -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    probe = (
        "import sys\n"
        "from kumolint.cli import main\n"
        f"main(['check', {str(repo)!r}, '--quiet'])\n"
        "heavy = ('kumolint.audit', 'kumolint.formatters.sarif', 'kumolint.staged')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines()[-1] == "[]"
