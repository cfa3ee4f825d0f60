"""The composite GitHub Action and the CI workflow: their command lines, run for real.

GitHub itself cannot run here, so the action's `run:` scripts are executed the way a runner
executes a composite step (`bash --noprofile --norc -eo pipefail`), with the inputs passed
through the step's `env:` and `GITHUB_OUTPUT` / `GITHUB_STEP_SUMMARY` files.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from kumolint.cli import main
from tests.conftest import ROOT, write_tree

BODY = "Zq9XkV3tLw8RpN2mYc7HsD4fGj6KaB1eUo5iTx0WnQvPzS"
KEY = f"-----BEGIN PRIVATE KEY-----\n{BODY}\n-----END PRIVATE KEY-----\n"
ACTION: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
WORKFLOW: dict[str, Any] = yaml.safe_load(
    (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
)
DEFAULTS = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}


def _step(step_id: str) -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in ACTION["runs"]["steps"] if s.get("id") == step_id)
    return step


def _expand(text: str, inputs: dict[str, str]) -> str:
    return re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: inputs[m[1]], text)


def run_check_step(
    workspace: Path, tmp_path: Path, **given: str
) -> tuple[int, str, dict[str, str], str]:
    inputs = {**DEFAULTS, **{k.replace("_", "-"): v for k, v in given.items()}}
    step = _step("check")
    shim = tmp_path / "bin"
    shim.mkdir(exist_ok=True)
    python = shim / "python"
    if not python.exists():
        # What setup-python puts first on PATH. A script, not a symlink: a symlinked venv
        # interpreter outside its venv directory loses the venv's packages.
        python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
        python.chmod(0o755)
    outputs, summary = tmp_path / "github_output", tmp_path / "summary.md"
    outputs.write_text("")
    env = {
        **os.environ,
        "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),  # stands in for the install step (pip install the action)
        "GITHUB_ACTIONS": "true",
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
        **{name: _expand(str(value), inputs) for name, value in step["env"].items()},
    }
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    written = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
    report = summary.read_text() if summary.exists() else ""
    return done.returncode, done.stdout, written, report


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = write_tree(
        tmp_path / "ws", {".kumolint.toml": "", "keys/dkim.key": KEY, "deploy/vars.yml": "a: 1\n"}
    )
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def test_action_shape() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) >= {"paths", "config", "fail-on", "baseline", "sarif-file"}
    steps = ACTION["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    install = next(s for s in steps if "pip install" in s.get("run", ""))
    assert '"$GITHUB_ACTION_PATH"' in install["run"]  # the action's own ref, not PyPI
    assert all(s.get("shell") == "bash" for s in steps if "run" in s)
    # inputs only ever reach the scripts through env, never pasted into script text
    assert all("${{" not in s.get("run", "") for s in steps)


def test_findings_fail_the_step_with_annotations_sarif_and_summary(
    workspace: Path, tmp_path: Path
) -> None:
    code, stdout, outputs, summary = run_check_step(workspace, tmp_path)
    assert code == 1
    assert stdout.startswith("::error file=keys/dkim.key,line=1,col=1")
    assert outputs == {"sarif-file": "kumolint.sarif", "exit-code": "1"}
    sarif = json.loads((workspace / "kumolint.sarif").read_text())
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["KL106"]
    assert "## kumolint" in summary
    for text in (stdout, summary, (workspace / "kumolint.sarif").read_text()):
        assert BODY[:8] not in text


def test_baseline_config_paths_and_sarif_file_inputs(workspace: Path, tmp_path: Path) -> None:
    baseline = workspace / ".kumolint-baseline.json"
    assert main(["check", str(workspace), "--quiet", "--write-baseline", str(baseline)]) == 0
    code, stdout, outputs, _ = run_check_step(
        workspace,
        tmp_path,
        baseline=".kumolint-baseline.json",
        sarif_file="out/k.sarif",
        paths="keys deploy",
    )
    assert code == 0
    assert stdout == ""
    assert outputs["exit-code"] == "0"
    results = json.loads((workspace / "out/k.sarif").read_text())["runs"][0]["results"]
    assert results[0]["suppressions"][0]["kind"] == "external"
    (workspace / "strict.toml").write_text("fail-on = 'error'\n")
    (workspace / "keys/dkim.key").unlink()
    write_tree(workspace, {"deploy/bad.yml": "a: [1\n"})  # a warning (KL001) only
    code, _, _, _ = run_check_step(workspace, tmp_path, config="strict.toml")
    assert code == 0
    code, _, _, _ = run_check_step(workspace, tmp_path, config="strict.toml", fail_on="warning")
    assert code == 1


def test_ci_workflow_runs_the_readme_test_command_and_dogfoods_the_action() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = "python3 -m pip install '.[test]' && python3 -m pytest"
    assert command in readme
    test_steps = WORKFLOW["jobs"]["test"]["steps"]
    assert any(s.get("run") == command for s in test_steps)
    dogfood = WORKFLOW["jobs"]["dogfood"]["steps"]
    ours = [s for s in dogfood if s.get("uses") == "./"]
    assert [s["with"]["paths"] for s in ours] == [".", "examples/ping8-deploy"]
    upload = next(s for s in dogfood if "upload-sarif" in s.get("uses", ""))
    assert upload["with"]["sarif_file"] == ours[0]["with"]["sarif-file"]
    # the example has deliberate mistakes: its step may fail, and a later step demands it
    assert ours[1]["continue-on-error"] is True
    assert any("steps.example.outputs.exit-code" in str(s.get("env")) for s in dogfood)


def test_the_repository_itself_passes_its_own_gate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(ROOT), "--no-cache"]) == 0
    assert capsys.readouterr().out == ""
