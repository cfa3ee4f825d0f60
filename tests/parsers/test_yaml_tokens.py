"""The token extractor for deployment YAML: Ansible vars, Helm values, secretKeyRef."""

from __future__ import annotations

from typing import Any

import pytest

from kumolint.facts.nginx import BearerCheck, NginxLocation
from kumolint.facts.tokens import SecretKeyRef, VarDefinition
from kumolint.finding import Span
from kumolint.model import ParseError, Value
from kumolint.parsers import load_parsers
from kumolint.parsers.yaml_documents import parse

load_parsers()  # registers the YAML extractors


def facts_of(kind: type[Any], path: str, text: str) -> list[Any]:
    return [f for f in parse(path, text) if isinstance(f, kind)]


ANSIBLE = """\
ping8_injection_token: "{{ vault_ping8_injection_token }}"
kumomta:
  webhook_token: "{{ vault_ping8_webhook_token }}"
ping8_vaulted: !vault |
  $ANSIBLE_VAULT;1.1;AES256
  6231
"""


@pytest.mark.parametrize(
    "path",
    (
        "group_vars/all.yml",
        "inventories/prod/group_vars/mta/vars.yml",
        "host_vars/mta1.example.com.yaml",
        "roles/kumomta/defaults/main.yml",
        "roles/kumomta/vars/main.yml",
    ),
)
def test_ansible_vars_with_positions(path: str) -> None:
    found = facts_of(VarDefinition, path, ANSIBLE)
    assert [(v.name, v.source, v.vaulted) for v in found] == [
        ("ping8_injection_token", "ansible", False),
        ("kumomta.webhook_token", "ansible", False),
        ("ping8_vaulted", "ansible", True),
    ]
    assert found[0].value == Value("{{ vault_ping8_injection_token }}")
    assert found[0].span == Span(path, 1, 24, 1, 59)
    assert (found[1].span.line, found[1].span.column) == (3, 18)


def test_helm_values_use_dotted_paths() -> None:
    text = "kumomta:\n  webhook:\n    token: abc123def456ghi789\n"
    (found,) = facts_of(VarDefinition, "charts/kumomta/values.yaml", text)
    assert (found.name, found.source) == ("kumomta.webhook.token", "helm")
    assert found.span == Span("charts/kumomta/values.yaml", 3, 12, 3, 30)


def test_other_yaml_defines_no_variables() -> None:
    assert facts_of(VarDefinition, "deploy/tasks/main.yml", "- name: x\n  debug: {}\n") == []
    assert facts_of(VarDefinition, "docker-compose.yml", "services: {}\n") == []


def test_secret_key_ref() -> None:
    text = """\
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: kumod
          env:
            - name: PING8_WEBHOOK_TOKEN
              valueFrom:
                secretKeyRef: {name: ping8-tokens, key: webhook}
            - name: PLAIN
              value: x
"""
    path = "k8s/kumod.yaml"
    assert facts_of(SecretKeyRef, path, text) == [
        SecretKeyRef("PING8_WEBHOOK_TOKEN", "ping8-tokens", "webhook", Span(path, 9, 15, 12, 13))
    ]


def test_alias_bomb_and_deep_nesting_are_cheap() -> None:
    bomb = "a: &a [x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(20)
    )
    assert isinstance(facts_of(VarDefinition, "group_vars/all.yml", bomb), list)
    deep = "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200)) + "  " * 200 + "v: 1\n"
    found = facts_of(VarDefinition, "group_vars/all.yml", deep)
    assert found == []  # deeper than any real variable file: not walked


def test_broken_yaml_is_a_positioned_error() -> None:
    errors = facts_of(ParseError, "group_vars/all.yml", "a: [1\n")
    assert errors
    assert errors[0].span.line >= 1


INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: kumomta
  annotations:
    nginx.ingress.kubernetes.io/whitelist-source-range: 10.0.0.0/8
    nginx.ingress.kubernetes.io/configuration-snippet: |
      if ($http_authorization != "Bearer tok-ingress-2b6d") {
        return 401;
      }
      proxy_set_header Authorization "";
spec:
  rules:
    - http:
        paths:
          - path: /api/inject/v1
            backend:
              service: {name: kumomta, port: {number: 8000}}
"""


def test_ingress_snippet_and_paths() -> None:
    path = "k8s/ingress.yaml"
    (check,) = facts_of(BearerCheck, path, INGRESS)
    assert check.token.value == Value("tok-ingress-2b6d")
    assert (check.span.line, check.span.column) == (8, 42)
    (location,) = facts_of(NginxLocation, path, INGRESS)
    assert location.match == "/api/inject/v1"
    assert location.proxy_pass == "http://kumomta:8000"
    assert location.guards == ("$http_authorization",)
    assert location.auth_header == "strip"
    assert location.restricted
    assert (location.span.line, location.span.column) == (16, 13)


def test_broken_ingress_snippet_is_a_positioned_error() -> None:
    text = INGRESS.replace("        return 401;\n      }\n", "        return 401;\n")
    errors = facts_of(ParseError, "k8s/ingress.yaml", text)
    assert [(e.span.line, e.span.column) for e in errors] == [(8, 7)]
