from __future__ import annotations

import time

import pytest

from kumolint.facts.modes import InstalledFile
from kumolint.finding import Span
from kumolint.model import ParseError
from kumolint.parsers._yaml import compose
from kumolint.parsers.yaml_documents import parse
from kumolint.parsers.yaml_k8s_volumes import extract

PATH = "k8s/kumod.yaml"
POD = """\
apiVersion: v1
kind: Pod
spec:
  containers:
    - name: kumod
      volumeMounts:
        - name: keys
          mountPath: /opt/kumomta/etc/dkim
  volumes:
    - name: keys
      secret:
        secretName: dkim
{extra}"""


def installed(text: str, path: str = PATH) -> list[InstalledFile]:
    documents, errors = compose(path, text)
    assert errors == []
    return [f for f in extract(path, documents) if isinstance(f, InstalledFile)]


def with_default_mode(mode: str) -> InstalledFile:
    (fact,) = installed(POD.format(extra=f"        defaultMode: {mode}\n"))
    return fact


def test_missing_default_mode_is_0644_at_the_secret_key() -> None:
    (fact,) = installed(POD.format(extra=""))
    assert (fact.dest, fact.mode, fact.mode_source) == (
        "/opt/kumomta/etc/dkim/*",
        0o644,
        "default",
    )
    assert "0644" in fact.default_reason
    assert fact.span == Span(PATH, 11, 7, 11, 13)
    assert fact.secret_hint == "Kubernetes Secret dkim"
    assert fact.tool == "kubernetes secret volume"


@pytest.mark.parametrize(
    ("mode", "expected", "source", "note"),
    (
        ("0400", 0o400, "explicit", ""),  # Go YAML: leading 0 is octal
        ("0o440", 0o440, "explicit", ""),
        ("256", 0o400, "explicit", ""),  # decimal, as JSON must write it
        ("420", 0o644, "explicit", ""),
        ("400", 0o620, "explicit", "decimal"),  # meant 0400, got 0o620
        ("644", None, "unknown", "rejects"),  # 0o1204 > 0777: the API server refuses it
        ('"0400"', None, "unknown", "quoted"),  # a string does not decode into int32
        ("{{ .Values.mode }}", None, "unknown", ""),
    ),
)
def test_default_mode_forms(mode: str, expected: int | None, source: str, note: str) -> None:
    fact = with_default_mode(mode)
    assert (fact.mode, fact.mode_source) == (expected, source)
    assert note in fact.mode_note if note else fact.mode_note == ""


def test_default_mode_span() -> None:
    assert with_default_mode("0400").span == Span(PATH, 13, 22, 13, 26)


def test_items_mode_overrides_default_mode_and_names_the_file() -> None:
    extra = (
        "        defaultMode: 0400\n        items:\n"
        "          - key: example.com.key\n            path: example.com/default.key\n"
        "            mode: 0644\n          - key: other.key\n            path: other.key\n"
    )
    found = installed(POD.format(extra=extra))
    assert [(f.dest, f.mode, f.source) for f in found] == [
        ("/opt/kumomta/etc/dkim/example.com/default.key", 0o644, "dkim:example.com.key"),
        ("/opt/kumomta/etc/dkim/other.key", 0o400, "dkim:other.key"),
    ]
    assert found[0].span.line == 17


def test_secret_keys_from_the_same_file_and_sub_path_mounts() -> None:
    text = """\
apiVersion: v1
kind: Secret
metadata: {name: kumo-env}
stringData: {kumomta.env: "PING8_WEBHOOK_URL=https://example.com", other: x}
---
kind: Deployment
spec:
  template:
    spec:
      containers:
        - volumeMounts:
            - {name: env, mountPath: /etc/default/kumomta, subPath: kumomta.env}
      volumes:
        - {name: env, secret: {secretName: kumo-env}}
"""
    (fact,) = installed(text)
    assert (fact.dest, fact.mode, fact.source) == (
        "/etc/default/kumomta",
        0o644,
        "kumo-env:kumomta.env",
    )


def test_helm_values_projected_and_config_map_volumes() -> None:
    text = """\
extraVolumeMounts:
  - {name: p, mountPath: /opt/kumomta/etc/keys}
  - {name: c, mountPath: /opt/kumomta/etc/policy}
extraVolumes:
  - name: p
    projected:
      defaultMode: 0440
      sources:
        - secret: {name: tokens}
  - name: c
    configMap: {name: policy}
  - name: unmounted
    secret: {secretName: s, defaultMode: 0600}
"""
    found = installed(text, "charts/kumomta/values.yaml")
    assert [(f.dest, f.mode, f.tool, f.secret_hint) for f in found] == [
        ("/opt/kumomta/etc/keys/*", 0o440, "kubernetes secret volume", "Kubernetes Secret tokens"),
        ("/opt/kumomta/etc/policy/*", 0o644, "kubernetes configMap volume", ""),
        (
            "<volume unmounted is not mounted in this file>/*",
            0o600,
            "kubernetes secret volume",
            "Kubernetes Secret s",
        ),
    ]


def test_unrelated_volumes_are_ignored() -> None:
    text = "services:\n  a:\n    volumes: ['./dkim:/opt/kumomta/etc/dkim:ro']\n"
    assert installed(text, "docker-compose.yml") == []
    assert installed("volumes:\n  - name: x\n    emptyDir: {}\n") == []


@pytest.mark.parametrize(
    "text",
    (
        "",
        "volumes:\n\t- x\n",
        "volumes: [{name: a, secret: {defaultMode: 0400\n",
        "volumes: [\x00]\n",
    ),
)
def test_bad_input_never_raises(text: str) -> None:
    found = list(parse(PATH, text))
    assert all(isinstance(f, ParseError) for f in found)


def test_alias_bomb_is_cheap() -> None:
    lines = ["a0: &a0 [{name: x, secret: {secretName: s}}]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 40)]
    lines.append("volumes: *a0")
    started = time.perf_counter()
    found = list(parse(PATH, "\n".join(lines) + "\n"))
    assert time.perf_counter() - started < 5
    assert len(found) == 1
