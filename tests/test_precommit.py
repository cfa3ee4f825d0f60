"""The published hook, run by the real `pre-commit` in a throwaway git repository.

pre-commit builds the hook's virtualenv by pip-installing this project, which needs the
package registry; set KUMOLINT_SKIP_NETWORK=1 to skip these tests offline (CI runs them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, write_tree

pytestmark = [
    pytest.mark.network,
    pytest.mark.skipif(
        os.environ.get("KUMOLINT_SKIP_NETWORK") == "1", reason="KUMOLINT_SKIP_NETWORK=1"
    ),
    pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit is not installed"),
]

POPULATED_ENV = (
    "PING8_WEBHOOK_TOKEN=9f2c61d0a7b84e53b1c6d2e8f4a09b7c\n"
    "PING8_WEBHOOK_URL=https://app.yourdomain.com/api/kumo/events\n"
)
PRIVATE_KEY = (
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
)


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _repo_with_staged_secrets(root: Path) -> Path:
    repo = write_tree(
        root / "deploy-repo",
        {"etc/default/kumomta": POPULATED_ENV, "keys/dkim.key": PRIVATE_KEY, "README": "hi\n"},
    )
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.invalid")
    _git(repo, "config", "user.name", "t")
    _git(repo, "add", ".")
    return repo


def _run(cmd: list[str], repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=900)


def test_try_repo_blocks_staged_populated_env_file(tmp_path: Path, pre_commit_home: Path) -> None:
    repo = _repo_with_staged_secrets(tmp_path)
    result = _run(["pre-commit", "try-repo", str(ROOT), "kumolint"], repo, pre_commit_home)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Failed" in output
    assert "etc/default/kumomta:1:21: KL101 [error] PING8_WEBHOOK_TOKEN" in output
    assert "keys/dkim.key:1:1: KL106" in output
    for secret in ("9f2c61d0a7b84e53b1c6d2e8f4a09b7c", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"):
        assert secret not in output


def test_installed_hook_blocks_the_commit(tmp_path: Path, pre_commit_home: Path) -> None:
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    repo = _repo_with_staged_secrets(tmp_path)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n-   repo: {ROOT.as_uri()}\n    rev: {head}\n    hooks:\n    -   id: kumolint\n",
        encoding="utf-8",
    )
    _git(repo, "add", ".pre-commit-config.yaml")
    _run(["pre-commit", "install"], repo, pre_commit_home).check_returncode()
    result = _run(["git", "commit", "-m", "add deployment"], repo, pre_commit_home)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "KL101" in output
    assert "KL106" in output
    log = subprocess.run(["git", "log", "--oneline"], cwd=repo, capture_output=True, text=True)
    assert log.stdout == ""  # nothing was committed
