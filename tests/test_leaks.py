"""No secret from the scanned repository ever leaves kumolint: 50 distinct secrets planted in
every supported format never appear, whole or as any 12-character piece, in any output
format, baseline, audit report, job summary or stderr, nor on the error paths.

Formats, commands and options are discovered (`formatters.available()`, `--help`), so new
ones are covered when they land.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import random
import string
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kumolint import cli, formatters
from kumolint.cli import main
from kumolint.model import Value
from kumolint.parsers import PARSERS, load_parsers
from kumolint.registry import load_rules
from tests.conftest import ROOT, write_tree

WINDOW = 12
_rng = random.Random(50)
SECRETS = [
    "".join(_rng.choice(string.ascii_letters + string.digits) for _ in range(32))
    for _ in range(50)
]


def s(index: int) -> str:
    return SECRETS[index]


def _pem_body(index: int) -> str:
    return "-----BEGIN PRIVATE KEY-----\n" + s(index) * 2 + "\n-----END PRIVATE KEY-----\n"


def _files() -> dict[str, str]:
    """Each secret once, where a deployment would really put such a value."""
    b64 = base64.b64encode(s(12).encode()).decode()
    SECRETS.append(b64[:32])  # the encoded form is a secret too
    return {
        ".kumolint.toml": "",
        "deploy/kumomta.env": (
            f"PING8_WEBHOOK_TOKEN={s(0)}\n"
            "PING8_WEBHOOK_URL=http://app.ping8.net/api/kumo/events\n"
            f"KUMOPROXY_PASSWORD='{s(1)}'\nKUMOPROXY_HOST=proxy.ping8.net\n"
            f'PING8_INJECTION_TOKEN="{s(2)}"\n'
        ),
        ".env": f"export SECRET_KEY={s(3)}\nAPI_TOKEN=${{API_TOKEN:-{s(4)}}}\n",
        "etc/default/kumomta": f"PING8_WEBHOOK_TOKEN={s(5)}\nDB_PASSWORD={s(6)}\n",
        "k8s/secret.yml": (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: kumo\ntype: Opaque\n"
            f"stringData:\n  PING8_WEBHOOK_TOKEN: {s(7)}\n  password: '{s(8)}'\n"
            f"data:\n  token: {b64}\n"
        ),
        "docker-compose.yml": (
            "services:\n  kumomta:\n    image: kumomta\n    environment:\n"
            f"      - PING8_WEBHOOK_TOKEN={s(9)}\n      KUMO_API_KEY: {s(10)}\n"
            f'  proxy:\n    environment:\n      PROXY_PASSWORD: "{s(11)}"\n'
        ),
        "policy/init.lua": (
            "local kumo = require 'kumo'\n"
            f"local TOKEN = os.getenv('PING8_WEBHOOK_TOKEN') or '{s(13)}'\n"
            f'local secret = "{s(14)}"\n'
            "kumo.on('init', function()\n  kumo.start_http_listener {\n"
            "    listen = '0.0.0.0:8000',\n  }\nend)\n"
            "kumo.on('http_server_validate_auth_basic', function(user, password)\n"
            f"  return user == 'admin' and password == '{s(15)}'\nend)\n"
            "kumo.on('webhook', function()\n"
            f"  return {{ headers = {{ Authorization = 'Bearer {s(16)}' }} }}\nend)\n"
        ),
        "policy/data.toml": f'[auth]\ntoken = "{s(17)}"\npassword = "{s(18)}"\n',
        "policy/data.json": f'{{"webhook_token": "{s(19)}", "api_key": "{s(20)}"}}\n',
        "nginx/conf.d/kumomta.conf": (
            "map $http_authorization $ok {\n    default 0;\n"
            f'    "Bearer {s(21)}" 1;\n}}\n'
            "server {\n    listen 443 ssl;\n    location /api/inject/v1 {\n"
            f'        proxy_set_header Authorization "Bearer {s(22)}";\n'
            "        proxy_pass http://127.0.0.1:8000;\n    }\n}\n"
        ),
        "ansible/group_vars/all.yml": (
            f'ping8_webhook_token: {s(23)}\nkumoproxy_password: "{s(24)}"\n'
        ),
        "ansible/roles/kumomta/tasks/main.yml": (
            "- name: env\n  ansible.builtin.copy:\n    dest: /etc/default/kumomta\n"
            f"    content: \"PING8_WEBHOOK_TOKEN={s(25)}\\n\"\n    mode: '0644'\n"
        ),
        "inventory/hosts": f"mta1 ansible_host=192.0.2.10 ansible_password={s(26)}\n",
        "systemd/kumomta.service": (
            "[Service]\n"
            f"Environment=PING8_WEBHOOK_TOKEN={s(27)}\n"
            f'Environment="A=b" "KUMO_PASSWORD={s(28)}"\n'
            "ExecStart=/opt/kumomta/sbin/kumod\n"
        ),
        "docker/Dockerfile": (
            f"FROM debian:bookworm\nENV PING8_WEBHOOK_TOKEN={s(29)}\nARG DB_PASSWORD={s(30)}\n"
            f"RUN echo 'PING8_INJECTION_TOKEN={s(31)}' > /etc/default/kumomta\n"
        ),
        "scripts/deploy.sh": (
            "#!/bin/sh\nset -eu\n"
            f"export PING8_WEBHOOK_TOKEN={s(32)}\n"
            f'curl -H "Authorization: Bearer {s(33)}" https://app.ping8.net/\n'
            f"printf 'KUMOPROXY_PASSWORD={s(34)}\\n' > /etc/default/kumoproxy\n"
            "install -m 0644 kumomta.env /etc/default/kumomta\n"
        ),
        "Makefile": f"deploy:\n\tTOKEN={s(35)} ./scripts/deploy.sh\n",
        "dns/ping8.example.zone": (
            "$ORIGIN ping8.example.\n$TTL 3600\n"
            "@ IN SOA ns1 hostmaster ( 1 7200 900 1209600 3600 )\n"
            f'@ IN TXT "v=spf1 ip4:203.0.113.5 -all"\n_token IN TXT "{s(36)}"\n'
            f'verify IN TXT "site-verification={s(37)}"\n'
        ),
        "keys/dkim.key": _pem_body(38),
        "terraform/main.tf": (
            f'variable "webhook_token" {{\n  default = "{s(39)}"\n}}\n'
            f'resource "x" "y" {{\n  password = "{s(40)}"\n}}\n'
        ),
        "packaging/kumomta.spec": (
            "Name: kumomta\n%install\n"
            f"echo 'PING8_WEBHOOK_TOKEN={s(41)}' > %{{buildroot}}/etc/default/kumomta\n"
        ),
        "debian/kumomta.default": f"PING8_WEBHOOK_TOKEN={s(42)}\n",
        "cloud-init/user-data": (
            "#cloud-config\nwrite_files:\n  - path: /etc/default/kumomta\n"
            f"    content: |\n      PING8_WEBHOOK_TOKEN={s(43)}\n    permissions: '0644'\n"
        ),
        "salt/kumomta.sls": (
            "/etc/default/kumomta:\n  file.managed:\n    - mode: '0644'\n"
            f"    - contents: PING8_WEBHOOK_TOKEN={s(44)}\n"
        ),
        ".github/workflows/deploy.yml": (
            "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
            f"      - run: curl -H 'Authorization: Bearer {s(45)}' https://app.ping8.net/\n"
            f"        env:\n          KUMO_TOKEN: {s(46)}\n"
        ),
        "dnsconfig.js": f'D("ping8.example", REG, DnsProvider(DNS), TXT("_t", "{s(47)}"));\n',
        "deploy/site2/kumoproxy.env": f"KUMOPROXY_PASSWORD={s(48)}\nSMTP_PASSWORD={s(49)}\n",
    }


FILES = _files()


def leaks(text: str | bytes) -> list[str]:
    """Every planted secret with some 12-character piece in `text` (none: no leak)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    found = []
    for secret in SECRETS:
        if any(secret[i : i + WINDOW] in text for i in range(len(secret) - WINDOW + 1)):
            found.append(secret[:4] + "...")  # never print the secret in the test report either
    return found


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files: dict[str, str | bytes] = dict(FILES)
    root = write_tree(tmp_path_factory.mktemp("leaks") / "repo", files)
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "secrets everywhere")
    # a second version in history, and a staged change, for audit --history and --staged
    (root / "deploy/kumomta.env").write_text(FILES["deploy/kumomta.env"] + "X=1\n", "utf-8")
    _git(root, "commit", "-qam", "edit")
    (root / ".env").write_text(FILES[".env"] + "Y=2\n", encoding="utf-8")
    _git(root, "add", ".env")
    return root


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "XDG_CACHE_HOME": str(tmp_path / "user-cache"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md"),
    }
    env.pop("GITHUB_ACTIONS", None)
    return env


def _kumolint(
    repo: Path, environment: dict[str, str], *arguments: str
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "kumolint", *arguments],
        cwd=repo,
        capture_output=True,
        env=environment,
        timeout=300,
        check=False,
    )


def _help(*command: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "kumolint", *command, "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    ).stdout


def _outputs_in(directory: Path) -> Iterator[tuple[str, bytes]]:
    for file in sorted(directory.rglob("*")):
        if file.is_file():
            yield str(file.relative_to(directory)), file.read_bytes()


def _assert_clean(named: Iterable[tuple[str, str | bytes]]) -> None:
    dirty = {name: found for name, text in named if (found := leaks(text))}
    assert dirty == {}


def test_the_plant_is_detected(repo: Path, environment: dict[str, str]) -> None:
    """The control: the secrets are in the repository and kumolint reports about them."""
    assert len(set(SECRETS)) == 51
    assert leaks((repo / "deploy/kumomta.env").read_text(encoding="utf-8"))
    run = _kumolint(repo, environment, "check", "--format", "json")
    assert run.returncode == 1
    assert run.stdout.count(b'"rule"') >= 15


def test_check_outputs_never_hold_a_secret(
    repo: Path, environment: dict[str, str], tmp_path: Path
) -> None:
    """Every format at once (files), plus one on stdout, with and without suppressed findings
    and for the staged (index) version."""
    variants = [[], ["--show-suppressed"]]
    if "--staged" in _help("check"):
        variants.append(["--staged"])
    named: list[tuple[str, str | bytes]] = []
    for index, variant in enumerate(variants):
        out = tmp_path / f"out{index}"
        out.mkdir()
        names = formatters.available()
        arguments = [argument for name in names for argument in ("--format", name)]
        arguments += [a for name in names for a in ("--output", str(out / f"report.{name}"))]
        for to_stdout in ("json", "text"):
            run = _kumolint(
                repo, environment, "check", *variant, *arguments, "--format", to_stdout
            )
            assert run.returncode == 1, run.stderr[-500:]
            assert run.stdout
            named += [(f"{variant} {to_stdout} stdout", run.stdout)]
            named += [(f"{variant} {to_stdout} stderr", run.stderr)]
        produced = list(_outputs_in(out))
        assert len(produced) == len(names)
        named += produced
    summary = Path(environment["GITHUB_STEP_SUMMARY"])
    if summary.exists():
        named.append(("job summary", summary.read_bytes()))
    _assert_clean(named)


def test_baseline_never_holds_a_secret(
    repo: Path, environment: dict[str, str], tmp_path: Path
) -> None:
    if "--write-baseline" not in _help("check"):
        pytest.skip("no --write-baseline yet")
    baseline = tmp_path / "baseline.json"
    run = _kumolint(repo, environment, "check", "--write-baseline", str(baseline))
    assert baseline.stat().st_size > 0, run.stderr[-500:]
    again = _kumolint(repo, environment, "check", "--baseline", str(baseline))
    _assert_clean(
        [
            ("baseline", baseline.read_bytes()),
            ("write stderr", run.stderr),
            ("write stdout", run.stdout),
            ("apply stdout", again.stdout),
            ("apply stderr", again.stderr),
        ]
    )


def test_audit_never_holds_a_secret(
    repo: Path, environment: dict[str, str], tmp_path: Path
) -> None:
    if "audit" not in _help():
        pytest.skip("no audit command yet")
    options = _help("audit")
    out = tmp_path / "audit"
    out.mkdir()
    named: list[tuple[str, str | bytes]] = []
    history = ["--history"] if "--history" in options else []  # slower: two formats only
    reports = [["--report", str(out / "report.md")], ["--report", str(out / "report.html")]]
    if "--report" not in options:
        reports = [[]]
    for output_format in formatters.available():
        extra = reports[len(named) // 2 % len(reports)]
        run = _kumolint(
            repo,
            environment,
            "audit",
            *(history if output_format in ("json", "text") else []),
            "--format",
            output_format,
            "--output",
            str(out / f"audit.{output_format}"),
            *extra,
            str(repo),
        )
        assert run.returncode in (0, 1), run.stderr[-800:]
        named += [(f"{output_format} stdout", run.stdout), (f"{output_format} stderr", run.stderr)]
    named += list(_outputs_in(out))
    assert len(named) >= 3 * len(formatters.available())
    _assert_clean(named)


def test_a_broken_config_never_echoes_a_secret(
    repo: Path, environment: dict[str, str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('exclude = [\n"unterminated\n', encoding="utf-8")
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("[rules.KL101]\nno-such-option = 1\n", encoding="utf-8")
    named: list[tuple[str, str | bytes]] = []
    for config in (broken, wrong):
        run = _kumolint(repo, environment, "check", "--config", str(config))
        assert run.returncode == 2, run.stderr[-500:]
        named += [(f"{config.name} stdout", run.stdout), (f"{config.name} stderr", run.stderr)]
    _assert_clean(named)


def _first_value(model: Any) -> str:
    for facts in model.facts.values():
        for fact in facts:
            for field in dataclasses.fields(fact):
                value = getattr(fact, field.name)
                if isinstance(value, Value) and leaks(value.text):
                    return value.text
    raise AssertionError("no planted secret reached the model")


def test_internal_errors_never_echo_a_secret(
    repo: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Parsers and rules that crash with the secret in the exception text."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    load_parsers()

    def crashing_parse(path: str, text: str) -> Any:
        raise ValueError(f"cannot parse {text!r}")

    for name, registered in list(PARSERS.items()):
        if name in ("envfile", "lua", "nginx"):
            monkeypatch.setitem(
                PARSERS, name, dataclasses.replace(registered, parse=crashing_parse)
            )
    real_rules = load_rules()

    def crashing_check(model: Any, options: Any) -> Any:
        raise RuntimeError(f"boom {_first_value(model)}")

    rules = dict(real_rules)
    first = next(iter(rules))
    rules[first] = dataclasses.replace(rules[first], check=crashing_check)
    monkeypatch.setattr(cli, "load_rules", lambda: rules)
    codes = []
    for arguments in (["--format", "text"], ["--format", "json"], ["--format", "sarif"]):
        codes.append(main(["check", "--root", str(repo), *arguments, str(repo)]))
    captured = capsys.readouterr()
    assert codes == [3, 3, 3]
    assert "internal error" in captured.err
    _assert_clean([("stdout", captured.out), ("stderr", captured.err)])


def test_an_unexpected_exception_in_the_cli_never_echoes_a_secret(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise OSError(f"disk full while writing {SECRETS[0]}")

    monkeypatch.setattr(cli, "load_config", explode)
    assert main(["check", str(repo)]) == 3
    captured = capsys.readouterr()
    _assert_clean([("stdout", captured.out), ("stderr", captured.err)])
