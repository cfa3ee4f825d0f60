"""The token role model across files, and KL301 end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from kumolint.config import Config
from kumolint.facts.env import EnvAssignment
from kumolint.facts.nginx import BearerCheck, TokenText
from kumolint.facts.tokens import VarDefinition
from kumolint.finding import Span
from kumolint.formatters import Output, text
from kumolint.model import RepoFile, RepoModel, Value
from kumolint.rules import _tokens
from tests.conftest import RULES, lint, write_tree

TOKEN = "Zq8mK2vN7xR4tY1wP5sL9dF3gH6jB0cE"
NGINX_MAP = f"""\
map $http_authorization $auth_ok {{
    default 0;
    "Bearer {TOKEN}" 1;
}}
"""
WEBHOOK_LUA = """\
local kumo = require 'kumo'
local log_hooks = require 'policy-extras.log_hooks'
log_hooks:new {
  name = 'ping8',
  constructor = function(domain, tenant, campaign)
    local connection = {}
    local client = kumo.http.build_client {}
    function connection:send(message)
      local response = client
        :post(os.getenv 'PING8_WEBHOOK_URL')
        :header('Authorization', 'Bearer ' .. os.getenv 'TOKEN_NAME')
        :send()
      return response:status_is_success()
    end
    return connection
  end,
}
"""


def kl301(root: Path) -> str:
    findings = lint(root, {"KL301": RULES["KL301"]})
    return text.render(Output(findings, RULES))


def test_issue_example_env_nginx_policy(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "deploy/kumomta.env": f"# webhook\nPING8_WEBHOOK_TOKEN={TOKEN}\n",
            "nginx/mta.conf": NGINX_MAP,
            "policy/init.lua": WEBHOOK_LUA.replace("TOKEN_NAME", "PING8_WEBHOOK_TOKEN"),
        },
    )
    also = "(also at nginx/mta.conf:3:13: injection token)"
    assert kl301(tmp_path) == (
        f"deploy/kumomta.env:2:21: KL301 [error] PING8_WEBHOOK_TOKEN reuses the injection"
        f" token {also}\n"
        f"policy/init.lua:11:47: KL301 [error] PING8_WEBHOOK_TOKEN reuses the injection"
        f" token {also}\n"
    )
    assert TOKEN not in kl301(tmp_path)


def test_same_env_var_on_both_sides(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "nginx/templates/kumomta.conf.template": NGINX_MAP.replace(
                TOKEN, "${PING8_INJECTION_TOKEN}"
            ),
            "policy/init.lua": WEBHOOK_LUA.replace("TOKEN_NAME", "PING8_INJECTION_TOKEN"),
        },
    )
    assert kl301(tmp_path) == (
        "policy/init.lua:11:47: KL301 [error] PING8_INJECTION_TOKEN reuses the injection token"
        " (also at nginx/templates/kumomta.conf.template:3:13: injection token)\n"
    )


def test_same_secret_key(tmp_path: Path) -> None:
    def env(name: str, key: str) -> str:
        return (
            f"            - name: {name}\n"
            f"              valueFrom:\n"
            f"                secretKeyRef: {{name: ping8-tokens, key: {key}}}\n"
        )

    head = "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n"
    head += "      containers:\n        - name: c\n          env:\n"
    write_tree(
        tmp_path,
        {
            "k8s/kumod.yaml": head + env("PING8_WEBHOOK_TOKEN", "api"),
            "k8s/nginx.yaml": head + env("PING8_INJECTION_TOKEN", "api"),
            "k8s/other.yaml": head + env("PING8_WEBHOOK_TOKEN_OLD", "api"),
        },
    )
    assert kl301(tmp_path) == (
        "k8s/kumod.yaml:9:15: KL301 [error] PING8_WEBHOOK_TOKEN reuses the injection token"
        " (also at k8s/nginx.yaml:9:15: injection token)\n"
    )
    write_tree(tmp_path, {"k8s/nginx.yaml": head + env("PING8_INJECTION_TOKEN", "inject")})
    assert kl301(tmp_path) == ""


def test_compose_environment_through_one_variable(tmp_path: Path) -> None:
    compose = """\
services:
  kumomta:
    image: ghcr.io/kumocorp/kumomta:latest
    environment:
      PING8_WEBHOOK_TOKEN: ${PING8_SHARED_TOKEN}
  nginx:
    image: nginx:1.27
    environment:
      PING8_INJECTION_TOKEN: ${PING8_SHARED_TOKEN}
"""
    write_tree(tmp_path, {"docker-compose.yml": compose})
    assert kl301(tmp_path) == (
        "docker-compose.yml:5:28: KL301 [error] PING8_WEBHOOK_TOKEN reuses the injection token"
        " (also at docker-compose.yml:9:30: injection token)\n"
    )


def test_jinja_env_template_and_nginx_template_share_an_ansible_var(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "roles/kumomta/templates/kumomta.env.j2": (
                "PING8_WEBHOOK_TOKEN={{ vault_ping8_token }}\n"
            ),
            "roles/nginx/templates/kumomta.conf.j2": NGINX_MAP.replace(
                TOKEN, "{{ ping8_injection_token }}"
            ),
            "group_vars/all.yml": 'ping8_injection_token: "{{ vault_ping8_token }}"\n',
        },
    )
    output = kl301(tmp_path)
    assert output.startswith(
        "roles/kumomta/templates/kumomta.env.j2:1:21: KL301 [error] PING8_WEBHOOK_TOKEN"
    )
    assert output.count("KL301") == 1


def test_helm_values_literal(tmp_path: Path) -> None:
    values = f"kumomta:\n  ping8WebhookToken: {TOKEN}\nnginx:\n  ping8InjectionToken: {TOKEN}\n"
    write_tree(tmp_path, {"charts/ping8/values.yaml": values})
    assert kl301(tmp_path) == (
        "charts/ping8/values.yaml:2:22: KL301 [error] kumomta.ping8WebhookToken reuses the"
        " injection token (also at charts/ping8/values.yaml:4:24: injection token)\n"
    )


@pytest.mark.parametrize(
    ("webhook", "injection"),
    (
        ("<PING8_TOKEN>", "<PING8_TOKEN>"),  # equal placeholders are no token
        ("changeme", "changeme"),
        (TOKEN, TOKEN[::-1]),  # different tokens
    ),
)
def test_no_reuse(tmp_path: Path, webhook: str, injection: str) -> None:
    write_tree(
        tmp_path,
        {
            "deploy/kumomta.env": f"PING8_WEBHOOK_TOKEN={webhook}\n",
            "nginx/mta.conf": NGINX_MAP.replace(TOKEN, injection),
        },
    )
    assert kl301(tmp_path) == ""


def test_roles_follow_the_config() -> None:
    config = Config().with_overrides(
        roles={**Config().roles, "webhook-token": ("KUMO_EVENTS_SECRET",)}
    )
    span = Span("deploy/kumomta.env", 1, 20)
    facts = [
        EnvAssignment("KUMO_EVENTS_SECRET", Value(TOKEN), span, span, "systemd"),
        BearerCheck(TokenText("literal", Value(TOKEN)), "map", Span("n.conf", 3, 13), span),
    ]
    model = RepoModel.build(config, [], facts)
    (ref,) = [r for r in _tokens.token_refs(model) if r.role == _tokens.WEBHOOK]
    assert (ref.kind, ref.label, ref.value) == ("literal", "KUMO_EVENTS_SECRET", Value(TOKEN))
    assert [w.label for w, _ in _tokens.reuses(model)] == ["KUMO_EVENTS_SECRET"]
    assert list(_tokens.reuses(RepoModel.build(Config(), [], facts))) == []


def test_vault_reference_kind() -> None:
    span = Span("group_vars/all.yml", 1, 1)
    facts = [VarDefinition("ping8_webhook_token", Value("{{ vault_x }}"), span, "ansible")]
    (ref,) = _tokens.token_refs(RepoModel.build(Config(), [], facts))
    assert (ref.role, ref.kind, ref.name) == ("webhook-token", "vault-var", "vault_x")


def test_a_token_in_1000_files_is_grouped_by_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    """1,000 Nginx checks and 1,000 env files with one token: one value node, no pairwise ==."""

    def no_pairwise_compare(self: Value, other: object) -> bool:
        raise AssertionError("values must be grouped by digest, not compared pairwise")

    facts: list[object] = []
    for i in range(1000):
        env_span = Span(f"deploy/host{i}/kumomta.env", 1, 21)
        facts.append(
            EnvAssignment("PING8_WEBHOOK_TOKEN", Value(TOKEN), env_span, env_span, "systemd")
        )
        check_span = Span(f"nginx/host{i}.conf", 3, 13)
        facts.append(
            BearerCheck(TokenText("literal", Value(TOKEN)), "map", check_span, check_span)
        )
    model = RepoModel.build(Config(), [RepoFile("x")], facts)
    monkeypatch.setattr(Value, "__eq__", no_pairwise_compare)
    graph = _tokens.build_graph(model)
    assert set(graph.edges) == {"env:PING8_WEBHOOK_TOKEN", f"value:{Value(TOKEN).digest}"}
    assert len(graph.places) == 2000
    assert len(graph.value_nodes) == 1  # the token is judged and hashed once, not per file
    found = list(_tokens.reuses(model))
    assert len(found) == 1000
    # every webhook place points at the first injection place in path order
    assert {injection.span for _, injection in found} == {Span("nginx/host0.conf", 3, 13)}


def test_getenv_with_a_literal_fallback_is_one_finding(tmp_path: Path) -> None:
    lua = WEBHOOK_LUA.replace(
        "os.getenv 'TOKEN_NAME'", f"(os.getenv('PING8_WEBHOOK_TOKEN') or '{TOKEN}')"
    )
    write_tree(tmp_path, {"nginx/mta.conf": NGINX_MAP, "policy/init.lua": lua})
    output = kl301(tmp_path)
    assert output.count("KL301") == 1
    assert output.startswith("policy/init.lua:11:")


@pytest.mark.parametrize(
    ("files", "expected"),
    (
        (
            {"group_vars/all.yml": 'ping8_webhook_token: "{{ ping8_injection_token }}"\n'},
            ["group_vars/all.yml:1:22"],
        ),
        (
            {"deploy/.env": "PING8_WEBHOOK_TOKEN=${PING8_INJECTION_TOKEN}\n"},
            ["deploy/.env:1:21"],
        ),
        (
            {"group_vars/all.yml": 'ping8_webhook_token: "{{ ping8_webhook_token_v2 }}"\n'},
            [],
        ),
    ),
)
def test_one_role_defined_as_the_other(
    tmp_path: Path, files: dict[str, str | bytes], expected: list[str]
) -> None:
    write_tree(tmp_path, files)
    findings = lint(tmp_path, {"KL301": RULES["KL301"]})
    assert [f"{f.span.path}:{f.span.line}:{f.span.column}" for f in findings] == expected
