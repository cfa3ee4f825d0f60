"""Secrets seeded into env files, Kubernetes Secrets and compose files never leave the process.

Every output format, `--output` files, `--show-suppressed`, stderr, a config error and an
internal error (a parser and a rule that raise with the secret in the exception text) are
searched for each seed and for every 12-character piece of it.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from kumolint import formatters
from kumolint.cli import main
from kumolint.model import RepoModel
from kumolint.registry import REGISTRY, Report, load_rules
from tests.conftest import write_tree

# Unique, random-looking seeds (no 12-character piece occurs in kumolint's own text).
SEEDS = {
    "dotenv": "Qm7vXk2LpZ9wRt4nJc8sHd3fGb6yTe1u",
    "dotenv_quoted": "Wr5tYu8iOp2aSd4fGh7jKl1zXc3vBn6m",
    "dotenv_unterminated": "Ty6uIo9pAs2dFg5hJk8lZx1cVb4nMq7w",
    "systemd": "Zx8cVb1nMq4wEr7tYu0iOp3aSd6fGh9j",
    "systemd_export": "Lk3jHg6fDs9aPo2iUy5tRe8wQz1xCv4b",
    "systemd_bad_name": "Nb7vCx0zLk3jHg6fDs9aPo2iUy5tRe8w",
    "template": "Gf4dSa7pOi0uYt3rEw6qMn9bVc2xZl5k",
    "k8s_string": "Hj2kLz5xCv8bNm1qWe4rTy7uIo0pAs3d",
    "k8s_data": "Pq9wEr2tYu5iOp8aSd1fGh4jKl7zXc0v",
    "k8s_bad_data": "Ui1oPa4sDf7gHj0kLz3xCv6bNm9qWe2r",
    "compose_map": "Ew3rTy6uIo9pAs2dFg5hJk8lZx1cVb4n",
    "compose_list": "Rt8yUi1oPa4sDf7gHj0kLz3xCv6bNm9q",
    "suppressed": "As5dFg8hJk1lZx4cVb7nMq0wEr3tYu6i",
    "webhook_url_userinfo": "Dg2hJ5kL8zX1cV4bN7mQ0wE3rT6yU9iO",
    "compose_default": "Kv7bNm0qWe3rTy6uIo9pAs2dFg5hJk8l",
    "k8s_configmap": "Yc1vBn4mQw7eRt0yUi3oPa6sDf9gHj2k",
    "k8s_env": "Ob6nMq9wEr2tYu5iOp8aSd1fGh4jKl7z",
}


def pieces(secret: str, size: int = 12) -> Iterator[str]:
    for start in range(len(secret) - size + 1):
        yield secret[start : start + size]


def assert_clean(*texts: str) -> None:
    for name, secret in SEEDS.items():
        for text in texts:
            for piece in pieces(secret):
                assert piece not in text, f"seed {name!r} leaked"


def seeded_repo(root: Path) -> Path:
    s = SEEDS
    bad_base64 = f"!{s['k8s_bad_data']}!"
    encoded = base64.b64encode(s["k8s_data"].encode()).decode()
    return write_tree(
        root,
        {
            ".kumolint.toml": "",
            "app/.env": (
                f"API_TOKEN={s['dotenv']}\n"
                f'SESSION_SECRET="{s["dotenv_quoted"]}" # note\n'
                f"# kumolint: ignore[KL101] -- seeded on purpose\n"
                f"SUPPRESSED_TOKEN={s['suppressed']}\n"
                f"PING8_WEBHOOK_URL=http://user:{s['webhook_url_userinfo']}@app.real-mail.net/x\n"
                f'BROKEN_TOKEN="{s["dotenv_unterminated"]}\n'
            ),
            "etc/default/kumomta": (
                f"PING8_WEBHOOK_TOKEN={s['systemd']} # inline\n"
                f"export PING8_INJECTION_TOKEN={s['systemd_export']}\n"
                f"my token {s['systemd_bad_name']}=x\n"
                "KUMOPROXY_PUBLIC_IP=8.8.4.4\n"
            ),
            "deploy/kumomta.env.j2": f"PING8_WEBHOOK_TOKEN='{s['template']}'\n",
            "k8s/secret.yaml": (
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: kumomta-env\n"
                f"stringData:\n  PING8_WEBHOOK_TOKEN: {s['k8s_string']}\n"
                f"data:\n  DB_PASSWORD: {encoded}\n  OTHER_PASSWORD: '{bad_base64}'\n"
            ),
            "k8s/deployment.yaml": (
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n"
                f"data:\n  APP_TOKEN: {s['k8s_configmap']}\n---\n"
                "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n"
                "      containers:\n        - name: app\n          env:\n"
                f"            - name: APP_SECRET\n              value: {s['k8s_env']}\n"
            ),
            "docker-compose.yml": (
                "services:\n  kumomta:\n    image: ghcr.io/kumocorp/kumomta:latest\n"
                f"    environment:\n      PING8_WEBHOOK_TOKEN: {s['compose_map']}\n"
                f"  app:\n    build: .\n    environment:\n      - APP_SECRET={s['compose_list']}\n"
                f"      - DB_PASSWORD=${{DB_PASSWORD:-{s['compose_default']}}}\n"
            ),
        },
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return seeded_repo(tmp_path / "repo")


@pytest.mark.parametrize("fmt", formatters.available())
def test_no_output_format_leaks_a_seed(
    fmt: str, repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = tmp_path / f"out.{fmt}"
    code = main(
        ["check", str(repo), "--show-suppressed", "--format", fmt, "--output", str(written)]
    )
    assert code == 1
    out = capsys.readouterr()
    report = written.read_text(encoding="utf-8")
    assert "KL101" in report  # the seeds were found, so the test looks at real findings
    assert_clean(out.out, out.err, report)


@pytest.mark.parametrize("fmt", formatters.available())
def test_stdout_of_every_format_is_clean(
    fmt: str, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(repo), "--show-suppressed", "--format", fmt]) == 1
    out = capsys.readouterr()
    assert "KL101" in out.out
    assert_clean(out.out, out.err)


def test_every_seed_is_reported_somewhere(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(repo), "--format", "text", "--select", "KL1,KL001"]) == 1
    lines = capsys.readouterr().out.splitlines()
    places = {line.split(": ", 1)[0].rsplit(":", 1)[0] for line in lines}
    for place in (
        "app/.env:1",
        "app/.env:2",
        "app/.env:6",
        "etc/default/kumomta:1",
        "etc/default/kumomta:2",
        "etc/default/kumomta:3",
        "deploy/kumomta.env.j2:1",
        "k8s/secret.yaml:6",
        "k8s/secret.yaml:8",
        "k8s/secret.yaml:9",
        "docker-compose.yml:5",
        "docker-compose.yml:9",
        "docker-compose.yml:10",
        "k8s/deployment.yaml:6",
        "k8s/deployment.yaml:17",
    ):
        assert place in places, place


def test_config_error_path_is_clean(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / ".kumolint.toml").write_text(
        f'required-env = "{SEEDS["dotenv"]}"\n',
        encoding="utf-8",
    )
    assert main(["check", str(repo)]) == 2
    out = capsys.readouterr()
    assert "required-env" in out.err
    assert_clean(out.out, out.err)


def test_internal_errors_never_show_the_exception_text(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import kumolint.parsers.envfile as envfile

    def tokenize_that_fails(text: str, *args: object, **kwargs: object) -> None:
        raise ValueError(f"cannot read {text}")

    def check_that_fails(model: RepoModel, options: object) -> Iterator[Report]:
        raise RuntimeError(f"bad value {SEEDS['k8s_string']}")

    monkeypatch.setattr(envfile, "tokenize", tokenize_that_fails)
    rules = load_rules()
    broken = dataclasses.replace(rules["KL102"], check=check_that_fails)
    monkeypatch.setitem(REGISTRY, "KL102", broken)
    for fmt in ("text", "json"):
        assert main(["check", str(repo), "--format", fmt]) == 3
        out = capsys.readouterr()
        assert "internal error" in out.err
        assert "ValueError" in out.err
        assert "RuntimeError" in out.err
        assert_clean(out.out, out.err)


def test_the_leak_check_catches_a_twelve_character_piece() -> None:
    with pytest.raises(AssertionError):
        assert_clean(f"... {SEEDS['k8s_data'][5:17]} ...")
    assert_clean("nothing here")


def test_written_baseline_is_clean(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = tmp_path / "baseline.json"
    assert main(["check", str(repo), "--write-baseline", str(baseline)]) == 0
    out = capsys.readouterr()
    written = baseline.read_text(encoding="utf-8")
    assert "KL101" in written
    assert_clean(out.out, out.err, written)
    assert main(["check", str(repo), "--baseline", str(baseline), "--show-suppressed"]) == 0
    out = capsys.readouterr()
    assert_clean(out.out, out.err)
