from __future__ import annotations

import base64
from typing import Any

import pytest

from kumolint.facts.env import EnvAssignment
from kumolint.facts.keys import PemBlock
from kumolint.finding import Span
from kumolint.model import ParseError
from kumolint.parsers import load_parsers, parsers_for
from kumolint.scan import parse_bytes

SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: kumomta-env
stringData:
  PING8_WEBHOOK_TOKEN: "<PING8_WEBHOOK_TOKEN>"
  KUMOPROXY_HELO: proxy.yourdomain.com
data:
  DB_PASSWORD: aHVudGVyMg==
  NOT_BASE64: "!!!"
  NESTED: {a: b}
"""

COMPOSE = """\
services:
  kumomta:
    image: ghcr.io/kumocorp/kumomta:latest
    environment:
      PING8_WEBHOOK_URL: https://app.yourdomain.com/events
      UNSET:
      PORT: 5000
  app:
    build: .
    environment:
      - API_TOKEN=abc
      - "QUOTED_TOKEN=def"
      - FROM_HOST
      - 'SPACED=a b'
"""


def run(path: str, text: str | bytes) -> list[Any]:
    data = text.encode() if isinstance(text, str) else text
    parsers = load_parsers()
    result = parse_bytes(path, data, parsers_for(path, parsers), 20 * 1024 * 1024)
    assert result.internal_errors == []
    return result.facts


def env(found: list[Any]) -> list[EnvAssignment]:
    return [f for f in found if isinstance(f, EnvAssignment)]


def test_secret_string_data_and_decoded_data_with_positions() -> None:
    path = "k8s/secret.yaml"
    found = run(path, SECRET)
    got = [(a.name, a.value.text, a.span, a.name_span, a.owner) for a in env(found)]
    assert got == [
        (
            "PING8_WEBHOOK_TOKEN",
            "<PING8_WEBHOOK_TOKEN>",
            Span(path, 6, 24, 6, 47),
            Span(path, 6, 3, 6, 22),
            "kumomta-env",
        ),
        (
            "KUMOPROXY_HELO",
            "proxy.yourdomain.com",
            Span(path, 7, 19, 7, 39),
            Span(path, 7, 3, 7, 17),
            "kumomta-env",
        ),
        (
            "DB_PASSWORD",
            "hunter2",
            Span(path, 9, 16, 9, 28),
            Span(path, 9, 3, 9, 14),
            "kumomta-env",
        ),
    ]
    assert all(a.dialect == "k8s-secret" for a in env(found))
    (error,) = [f for f in found if isinstance(f, ParseError)]
    assert error.span == Span(path, 10, 15, 10, 20)
    assert "NOT_BASE64" in error.message
    assert "!!!" not in error.message


def test_secret_data_holding_a_private_key_is_a_pem_block() -> None:
    pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----\n"
    encoded = base64.b64encode(pem.encode()).decode()
    text = f"kind: Secret\nmetadata:\n  name: tls\ndata:\n  tls.key: {encoded}\n"
    (block,) = [f for f in run("k8s/tls.yaml", text) if isinstance(f, PemBlock)]
    assert block.label == "PRIVATE KEY"
    assert block.complete
    assert block.span.line == 5


def test_compose_environment_map_and_list_with_exact_columns() -> None:
    path = "docker-compose.yml"
    got = [(a.name, a.value.text, a.span, a.name_span, a.owner) for a in env(run(path, COMPOSE))]
    assert got == [
        (
            "PING8_WEBHOOK_URL",
            "https://app.yourdomain.com/events",
            Span(path, 5, 26, 5, 59),
            Span(path, 5, 7, 5, 24),
            "kumomta",
        ),
        ("PORT", "5000", Span(path, 7, 13, 7, 17), Span(path, 7, 7, 7, 11), "kumomta"),
        ("API_TOKEN", "abc", Span(path, 11, 19, 11, 22), Span(path, 11, 9, 11, 18), "app"),
        ("QUOTED_TOKEN", "def", Span(path, 12, 23, 12, 26), Span(path, 12, 10, 12, 22), "app"),
        ("SPACED", "a b", Span(path, 14, 17, 14, 20), Span(path, 14, 10, 14, 16), "app"),
    ]
    image = {a.name: a.image for a in env(run(path, COMPOSE))}
    assert image["PORT"] == "ghcr.io/kumocorp/kumomta:latest"
    assert image["API_TOKEN"] == ""


def test_list_entry_with_escapes_falls_back_to_the_whole_scalar() -> None:
    text = 'services:\n  a:\n    image: x\n    environment:\n      - "TOKEN=a\\tb"\n'
    (only,) = env(run("compose.yaml", text))
    assert only.value.text == "a\tb"
    assert only.span == Span("compose.yaml", 5, 9, 5, 21)


@pytest.mark.parametrize(
    "text",
    (
        # a Helm values file with `services:` but no image/build is not compose
        "services:\n  web:\n    environment:\n      A_TOKEN: abc\n",
        # an Ansible task list
        "- name: x\n  environment:\n    A_TOKEN: abc\n",
        # a Service has no containers, and its selector is not an environment
        "apiVersion: v1\nkind: Service\nspec:\n  selector:\n    A_TOKEN: abc\n",
    ),
)
def test_other_yaml_gives_no_env_facts(text: str) -> None:
    assert env(run("deploy/values.yaml", text)) == []


@pytest.mark.parametrize(
    "data",
    (
        b"",
        b"\xef\xbb\xbfkind: Secret\r\nstringData:\r\n  A: b\r\n",
        b"kind: Secret\nstringData:\n  A: \xff\n",
        b"kind: Secret\nstringData:\n  A: [unclosed\n",
        b"kind: Secret\nstringData: &a\n  A: *a\n",
        b"kind: Secret\ndata:\n  A: " + b"QUJD" * 200_000 + b"\n",
        b"services:\n  a:\n    image: x\n    environment:\n" + b"      - A=b\n" * 100_000,
    ),
    ids=("empty", "bom-crlf", "invalid-utf8", "truncated", "alias", "long-line", "many-lines"),
)
def test_bad_input_never_raises(data: bytes) -> None:
    found = run("k8s/secret.yaml", data)
    for fact in found:
        if isinstance(fact, ParseError):
            assert fact.span.line >= 1


def test_bom_crlf_positions() -> None:
    (only,) = env(run("k8s/secret.yaml", b"\xef\xbb\xbfkind: Secret\r\nstringData:\r\n  A: b\r\n"))
    assert only.span == Span("k8s/secret.yaml", 3, 6, 3, 7)


def test_truncated_secret_keeps_earlier_documents() -> None:
    text = "kind: Secret\nstringData:\n  A: b\n---\nkind: Secret\nstringData:\n  B: [c\n"
    found = run("k8s/secret.yaml", text)
    assert [a.name for a in env(found)] == ["A"]
    (error,) = [f for f in found if isinstance(f, ParseError)]
    assert error.span.line >= 7


def test_compose_merge_keys_reach_the_anchored_values_once() -> None:
    text = (
        "x-env: &common\n"
        "  SHARED_TOKEN: abc\n"
        "  OVERRIDDEN: base\n"
        "services:\n"
        "  one:\n"
        "    image: x\n"
        "    environment:\n"
        "      <<: *common\n"
        "      OVERRIDDEN: mine\n"
        "  two:\n"
        "    image: y\n"
        "    environment:\n"
        "      <<: [*common]\n"
    )
    got = [(a.name, a.value.text, a.span.line, a.owner) for a in env(run("compose.yml", text))]
    assert got == [
        ("OVERRIDDEN", "mine", 9, "one"),
        ("SHARED_TOKEN", "abc", 2, "one"),
        ("OVERRIDDEN", "base", 3, "two"),
    ]


def test_merge_cycles_and_bombs_stay_bounded() -> None:
    layers = ["a0: &a0 {K: v}"]
    for i in range(1, 30):
        layers.append(f"a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}], K{i}: v}}")
    text = "\n".join(layers) + "\nservices:\n  s:\n    image: x\n    environment: *a29\n"
    found = env(run("compose.yml", text))
    assert 0 < len(found) <= 64


def test_templated_secret_data_is_kept_as_text_not_decoded() -> None:
    text = (
        "kind: Secret\nmetadata:\n  name: kumomta\n"
        'data:\n  PING8_WEBHOOK_TOKEN: "{{ .Values.token | b64enc }}"\n'
    )
    found = run("chart/templates/secret.yaml", text)
    assert [f for f in found if isinstance(f, ParseError)] == []
    (only,) = env(found)
    assert only.value.text == "{{ .Values.token | b64enc }}"


def test_configmap_data_and_container_env_values() -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kumomta-env\n"
        "data:\n  KUMOPROXY_HOST: proxy.yourdomain.com\n"
        "---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kumomta\n"
        "spec:\n  template:\n    spec:\n"
        "      initContainers:\n        - name: init\n          image: busybox\n"
        "      containers:\n"
        "        - name: kumod\n"
        "          image: ghcr.io/kumocorp/kumomta:latest\n"
        "          env:\n"
        "            - name: PING8_WEBHOOK_URL\n"
        "              value: https://app.yourdomain.com/events\n"
        "            - name: FROM_SECRET\n"
        "              valueFrom: {secretKeyRef: {name: s, key: k}}\n"
    )
    path = "k8s/kumomta.yaml"
    got = [
        (a.name, a.value.text, a.dialect, a.owner, a.image, a.span) for a in env(run(path, text))
    ]
    assert got == [
        (
            "KUMOPROXY_HOST",
            "proxy.yourdomain.com",
            "k8s-configmap",
            "kumomta-env",
            "",
            Span(path, 6, 19, 6, 39),
        ),
        (
            "PING8_WEBHOOK_URL",
            "https://app.yourdomain.com/events",
            "k8s-env",
            "kumod",
            "ghcr.io/kumocorp/kumomta:latest",
            Span(path, 23, 22, 23, 55),
        ),
    ]
