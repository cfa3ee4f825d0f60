"""KL101-KL105 with a configured vocabulary, and the judgements they share."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kumolint.config import Config, parse_config
from kumolint.finding import Finding
from kumolint.values import is_placeholder
from tests.conftest import ROOT, RULES, lint, write_tree

ENV_RULES = {rule_id: RULES[rule_id] for rule_id in ("KL101", "KL102", "KL103", "KL104", "KL105")}
OTHER_DEPLOYMENT = parse_config(
    {
        "required-env": ["ACME_HOOK_KEY", "ACME_HOOK_ENDPOINT"],
        "roles": {
            "webhook-token": ["ACME_HOOK_KEY"],
            "webhook-url": ["ACME_HOOK_ENDPOINT"],
            "injection-token": ["ACME_SUBMIT_BEARER"],
            "egress-ip": ["ACME_SOURCE_ADDRESS"],
        },
    },
    "test",
)


def run(tmp_path: Path, files: dict[str, str], config: Config | None = None) -> list[Finding]:
    write_tree(tmp_path, dict(files))
    return lint(tmp_path, ENV_RULES, config)


def summary(findings: list[Finding]) -> list[tuple[str, int, str]]:
    return [(f.span.path, f.span.line, f.rule_id) for f in findings]


def test_configured_roles_drive_every_rule(tmp_path: Path) -> None:
    files = {
        "etc/default/kumomta": (
            "ACME_HOOK_KEY=Zq8pLm3vRt6yXw1nBc4dFg7hJk2sAe5u\n"
            "ACME_HOOK_ENDPOINT=http://hooks.acme-mail.net/in\n"
            "ACME_SUBMIT_BEARER=<bearer>\n"
            "ACME_SOURCE_ADDRESS=8.8.4.4\n"
        )
    }
    found = run(tmp_path, files, OTHER_DEPLOYMENT)
    assert summary(found) == [
        ("etc/default/kumomta", 1, "KL101"),  # a role variable without a secret-looking name
        ("etc/default/kumomta", 2, "KL102"),
        ("etc/default/kumomta", 2, "KL104"),
        ("etc/default/kumomta", 3, "KL105"),
        ("etc/default/kumomta", 4, "KL102"),
    ]


def test_default_names_mean_nothing_under_another_vocabulary(tmp_path: Path) -> None:
    files = {
        "etc/default/kumomta": (
            "ACME_HOOK_KEY=<key>\nACME_HOOK_ENDPOINT=https://hooks.example.com/in\n"
            "PING8_INJECTION_TOKEN=<token>\nPING8_WEBHOOK_URL=http://x.example.com\n"
        )
    }
    assert run(tmp_path, files, OTHER_DEPLOYMENT) == []


def test_missing_required_lists_exactly_the_missing_names_in_config_order(
    tmp_path: Path,
) -> None:
    found = run(tmp_path, {"deploy/kumod.env": "KUMOPROXY_HELO=<helo>\nKUMOPROXY_HOST=<h>\n"})
    (finding,) = found
    assert finding.rule_id == "KL103"
    assert finding.message == (
        "KumoMTA env file lacks required variables: PING8_WEBHOOK_TOKEN, PING8_WEBHOOK_URL, "
        "KUMOPROXY_PORT, KUMOPROXY_PUBLIC_IP"
    )
    assert (finding.span.line, finding.span.column) == (1, 1)


def test_stock_pair_is_one_set_but_separate_directories_are_not(tmp_path: Path) -> None:
    half = "PING8_WEBHOOK_TOKEN=<t>\nPING8_WEBHOOK_URL=<u>\nKUMOPROXY_HOST=<h>\n"
    other_half = "KUMOPROXY_PORT=5000\nKUMOPROXY_PUBLIC_IP=203.0.113.9\nKUMOPROXY_HELO=<h>\n"
    files = {
        "a/kumo-common.env": half,
        "a/kumod.env": other_half,
        "b/kumo-common.env": half,
        "c/kumod.env": other_half,
    }
    assert summary(run(tmp_path, files)) == [
        ("b/kumo-common.env", 1, "KL103"),
        ("c/kumod.env", 1, "KL103"),
    ]


def test_ignored_export_line_counts_as_missing_for_systemd_only(tmp_path: Path) -> None:
    body = (
        "export PING8_WEBHOOK_TOKEN=<t>\nPING8_WEBHOOK_URL=<u>\nKUMOPROXY_HOST=<h>\n"
        "KUMOPROXY_PORT=5000\nKUMOPROXY_PUBLIC_IP=203.0.113.9\nKUMOPROXY_HELO=<h>\n"
    )
    found = run(tmp_path, {"etc/default/kumomta": body, "app/.env": body})
    (finding,) = found
    assert finding.span.path == "etc/default/kumomta"
    assert finding.message.endswith(": PING8_WEBHOOK_TOKEN")


def test_messages_and_keys_never_hold_the_value(tmp_path: Path) -> None:
    secret = "Wq3eRt6yUi9oPa2sDf5gHj8kLz1xCv4b"
    found = run(tmp_path, {".env": f"API_TOKEN={secret}\n"})
    (finding,) = found
    assert finding.message == "API_TOKEN holds a real secret (high-entropy)"
    assert secret[:6] not in finding.message + finding.fingerprint


def test_fingerprint_survives_a_line_shift(tmp_path: Path) -> None:
    first = run(tmp_path / "one", {".env": "API_TOKEN=Wq3eRt6yUi9oPa2sDf5gHj8kLz1xCv4b\n"})
    second = run(tmp_path / "two", {".env": "\n\nAPI_TOKEN=Wq3eRt6yUi9oPa2sDf5gHj8kLz1xCv4b\n"})
    assert first[0].fingerprint == second[0].fingerprint
    assert first[0].span.line != second[0].span.line


@pytest.mark.parametrize(
    "text",
    (
        "",
        "<PING8_WEBHOOK_TOKEN>",
        "${VAR}",
        "$VAR",
        "{{ vault_token }}",
        "%(token)s",
        "changeme",
        "CHANGE_ME",
        "change-me-please",
        "xxx",
        "your-api-key-here",
        "replace-me",
        "dummy",
        "dummy-token-1",
        "example-token",
        "REDACTED",
        "https://<host>/api",
    ),
)
def test_placeholders(text: str) -> None:
    assert is_placeholder(text)


@pytest.mark.parametrize(
    "text",
    (
        "hunter2",
        "kumo-webhook-secret-change-in-production",
        "s3cr3t",
        "Wq3eRt6yUi9oPa2sDf5g",
        "a<b",
    ),
)
def test_real_values_are_not_placeholders(text: str) -> None:
    assert not is_placeholder(text)


VENDOR_SAMPLES = (
    "AKIA" + "Q" * 8 + "7" * 8,
    "ghp_" + "aB3" * 12,
    "glpat-" + "x9Y" * 7,
    "xoxb-1234-5678-abcdefghij",
    "sk_live_" + "a1B2c3" * 4,
    "SG." + "a" * 22 + "." + "b" * 43,
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    "123456789:" + "A" * 35,
    "AC" + "0a" * 16,
    "0123456789abcdef" * 2 + "-us12",
    "M" + "a" * 23 + ".bcdefg." + "h" * 27,
)


@pytest.mark.parametrize("sample", VENDOR_SAMPLES)
def test_vendor_hint_lets_detect_secrets_name_the_format(sample: str) -> None:
    from kumolint.values import known_format, secret_kind

    assert known_format(sample) is not None
    assert secret_kind(sample) == known_format(sample)


def test_plain_tokens_do_not_import_detect_secrets() -> None:
    code = (
        "import sys\n"
        "from kumolint.values import secret_kind\n"
        "assert secret_kind('Wq3eRt6yUi9oPa2sDf5gHj8kLz1xCv4b') == 'high-entropy'\n"
        "assert secret_kind('hunter2') == 'literal'\n"
        "assert 'detect_secrets' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_hook_path_reports_the_pair_finding_for_either_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kumolint.cli import main

    write_tree(
        tmp_path,
        {
            ".kumolint.toml": "",
            "etc/kumo-common.env": "PING8_WEBHOOK_TOKEN=<t>\nPING8_WEBHOOK_URL=<u>\n",
            "etc/kumod.env": "KUMOPROXY_HOST=<h>\nKUMOPROXY_PORT=5000\n",
            "app/.env": "API_TOKEN=Wq3eRt6yUi9oPa2sDf5gHj8kLz1xCv4b\n",
        },
    )
    for checked in ("etc/kumod.env", "etc/kumo-common.env"):
        assert main(["check", "--quiet", str(tmp_path / checked)]) == 1
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith("etc/kumo-common.env:1:1: KL103 ")
    assert main(["check", "--quiet", str(tmp_path / "app/.env")]) == 1
    assert capsys.readouterr().out.startswith("app/.env:1:11: KL101 ")


def test_kl103_fingerprint_survives_adding_one_missing_variable(tmp_path: Path) -> None:
    path = "deploy/kumomta.env"
    before = run(tmp_path / "a", {path: "KUMOPROXY_HOST=<h>\nKUMOPROXY_PORT=5000\n"})
    after = run(
        tmp_path / "b", {path: "KUMOPROXY_HOST=<h>\nKUMOPROXY_PORT=5000\nKUMOPROXY_HELO=<h>\n"}
    )
    assert before[0].message != after[0].message
    assert before[0].fingerprint == after[0].fingerprint


@pytest.mark.parametrize(
    ("text", "reference"),
    (
        ("/run/secrets/api_token", True),
        ("./secrets/api_token", True),
        ("~/.config/app/token", True),
        ("/single", False),
        ("/x8Kq2Lm9Vb4Nc7Xz1Qw5Er8Ty3Ui6Op0/Asd", False),  # a token that starts with /
    ),
)
def test_file_references_are_not_secrets(text: str, reference: bool) -> None:
    from kumolint.rules._env import is_file_reference

    assert is_file_reference(text) is reference
